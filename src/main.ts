/**
 * Entry point of the `pt` command. Only what the command needs is imported: `pt run` starts
 * in `cli/run/lean.ts` (its scheduler never loads commander, the parsers or zod), the hidden
 * commands of its loader process in `cli/run/child.ts`, anything else in the commander
 * program (`cli/program.ts`).
 *
 * @module
 */

import { LOAD_COMMAND, PREPARE_COMMAND } from "./cli/run/plan.ts";
import { setEntryModule } from "./core/entry.ts";

/** Runs `pt` with `args`; returns the exit code. */
async function main(args: readonly string[]): Promise<number> {
  switch (args[0]) {
    case "run":
      return await (await import("./cli/run/lean.ts")).runLean(args);
    case PREPARE_COMMAND:
      return await (await import("./cli/run/child.ts")).prepareMain(args.slice(1));
    case LOAD_COMMAND:
      return await (await import("./cli/run/child.ts")).loadMain();
    default:
      return await (await import("./cli/program.ts")).runCli([...args]);
  }
}

if (import.meta.main) {
  setEntryModule(import.meta.url);
  Deno.exitCode = await main(Deno.args);
}
