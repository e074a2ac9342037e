/**
 * Errors to exit codes, once for every way `pt` runs a command: the commander program
 * (`program.ts`) and `pt run`'s lean scheduler process (`run/lean.ts`), which never loads
 * commander. User mistakes never show a stack. Imports nothing heavy.
 *
 * @module
 */

import { RunExistsError, RunNotFoundError } from "../storage/errors.ts";
import { EXIT_FAILURE, EXIT_USAGE, ExitCode, UsageError } from "./output.ts";

/** Prints what went wrong (when there is something to say) and returns the exit code. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof ExitCode) return err.code;
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}`);
    return EXIT_USAGE;
  }
  if (err instanceof RunNotFoundError || err instanceof RunExistsError) {
    // The store refused a write for a run id (gone, or taken): a failure, not a fault.
    console.error(`error: ${err.message}`);
    return EXIT_FAILURE;
  }
  if (err instanceof Deno.errors.NotCapable) {
    console.error(`error: Deno denied an operation Petit needs: ${err.message}`);
    console.error("run pt through `deno task pt` or grant the permission shown above");
    return EXIT_USAGE;
  }
  // Anything else is a fault (disk full, a broken database, a bug): say what, not where,
  // unless asked; nothing was half-written, since every store write is a transaction.
  const message = err instanceof Error ? err.message : String(err);
  console.error(`error: ${message.replace(/^petit: /, "")}`);
  if (Deno.env.get("PETIT_DEBUG")) console.error(err);
  else console.error("(set PETIT_DEBUG=1 to see where it happened)");
  return EXIT_FAILURE;
}
