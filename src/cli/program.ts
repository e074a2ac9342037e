/**
 * The `pt` command line: one commander program, one module per command.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { RunExistsError, RunNotFoundError } from "../storage/errors.ts";
import { VERSION } from "../version.ts";
import { registerDoctor } from "./commands/doctor.ts";
import { registerInspect } from "./commands/inspect.ts";
import { registerList } from "./commands/list.ts";
import { registerNext } from "./commands/next.ts";
import { registerRetry } from "./commands/retry.ts";
import { registerRun } from "./commands/run.ts";
import { registerSchema } from "./commands/schema.ts";
import { registerStatus } from "./commands/status.ts";
import { registerTrigger } from "./commands/trigger.ts";
import { registerTui } from "./commands/tui.ts";
import { registerValidate } from "./commands/validate.ts";
import { registerWhy } from "./commands/why.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ExitCode, UsageError } from "./output.ts";

/** Builds the `pt` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command("pt")
    .description("Petit: a small, dependable task orchestrator (cron schedules + DAGs of commands)")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  registerRun(program);
  registerValidate(program);
  registerList(program);
  registerNext(program);
  registerSchema(program);
  registerTrigger(program);
  registerInspect(program);
  registerRetry(program);
  registerWhy(program);
  registerStatus(program);
  registerTui(program);
  registerDoctor(program);
  for (const cmd of program.commands) cmd.helpOption("-h, --help", "show help");
  return program;
}

/** Runs `pt` with `args` and returns the exit code; user mistakes never show a stack. */
export async function runCli(args: string[]): Promise<number> {
  const program = buildProgram();
  if (args.length === 0) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parse problem (already printed) is a usage error.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
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
}
