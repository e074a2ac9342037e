/**
 * The `pt` command line: one commander program, one module per command. A command's module
 * is imported only when that command runs (or for the full help): `pt trigger` does not
 * load the API client, the TUI or the other commands (6–8 MiB of RSS, bench/README.md).
 * `pt run` itself starts in `run/lean.ts`, which uses this program only to check its
 * options in a short-lived process.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { VERSION } from "../version.ts";
import type { RunAction } from "./commands/run.ts";
import { exitCodeOf } from "./exit.ts";
import { EXIT_OK, EXIT_USAGE } from "./output.ts";

/** What a command module gives the program: its `register…` function. */
type Register = (program: Command) => void;

/**
 * Every command's module by the names it registers, in the order of `pt --help`. A module
 * that registers several commands (`runs`, `show`, `logs`) is listed under each.
 */
const COMMANDS: ReadonlyArray<readonly [readonly string[], () => Promise<Register>]> = [
  [["run"], async () => (await import("./commands/run.ts")).registerRun],
  [["validate"], async () => (await import("./commands/validate.ts")).registerValidate],
  [["list"], async () => (await import("./commands/list.ts")).registerList],
  [["next"], async () => (await import("./commands/next.ts")).registerNext],
  [["schema"], async () => (await import("./commands/schema.ts")).registerSchema],
  [["trigger"], async () => (await import("./commands/trigger.ts")).registerTrigger],
  [["runs", "show", "logs"], async () => (await import("./commands/inspect.ts")).registerInspect],
  [["retry"], async () => (await import("./commands/retry.ts")).registerRetry],
  [["why"], async () => (await import("./commands/why.ts")).registerWhy],
  [["status"], async () => (await import("./commands/status.ts")).registerStatus],
  [["tui"], async () => (await import("./commands/tui.ts")).registerTui],
  [["doctor"], async () => (await import("./commands/doctor.ts")).registerDoctor],
];

/** Options of {@link buildProgram} and {@link runCli}. */
export interface ProgramOptions {
  /** Register only the command of this name (the one about to run); every command if unknown. */
  readonly only?: string;
  /** What `pt run` does once its options are checked (default: run the scheduler here). */
  readonly runAction?: RunAction;
}

/** Builds the `pt` program with every command registered, or only `options.only`. */
export async function buildProgram(options: ProgramOptions = {}): Promise<Command> {
  const program = new Command("pt")
    .description("Petit: a small, dependable task orchestrator (cron schedules + DAGs of commands)")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  const only = COMMANDS.find(([names]) => names.includes(options.only ?? ""));
  for (const [names, load] of only ? [only] : COMMANDS) {
    if (names[0] === "run" && options.runAction) {
      (await import("./commands/run.ts")).registerRun(program, options.runAction);
    } else {
      (await load())(program);
    }
  }
  for (const cmd of program.commands) cmd.helpOption("-h, --help", "show help");
  return program;
}

/** Runs `pt` with `args` and returns the exit code; user mistakes never show a stack. */
export async function runCli(args: string[], options: ProgramOptions = {}): Promise<number> {
  const program = await buildProgram({ only: args[0], ...options });
  if (args.length === 0) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parse problem (already printed) is a usage error.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return exitCodeOf(err);
  }
}
