/**
 * `pt run` as it starts from `main.ts`: the options are checked, the config file read and
 * the jobs loaded by a short-lived loader process (`loader_process.ts`, `child.ts`), and
 * this process, which lives as long as the scheduler, only runs it (`serve.ts`). It never
 * imports commander, the TOML and YAML parsers or zod: measured idle on the example jobs
 * with the API on, that is 28 MiB less RSS than loading everything here (bench/README.md).
 * Where the loader process cannot be started, the whole `pt` program runs here instead.
 *
 * @module
 */

import { formatConfigError } from "../../config/errors.ts";
import { withSchedules } from "../../config/loader/settled.ts";
import { exitCodeOf } from "../exit.ts";
import { EXIT_OK } from "../output.ts";
import { ChildLoader, prepareInChild } from "./loader_process.ts";

/** Runs `pt run …` (`args` start with `run`); returns the exit code. */
export async function runLean(args: readonly string[]): Promise<number> {
  let prepared;
  try {
    prepared = await prepareInChild(args.slice(1));
  } catch (err) {
    return exitCodeOf(err);
  }
  if (prepared === null) {
    const { runCli } = await import("../program.ts");
    return await runCli([...args]);
  }
  if ("exit" in prepared) return prepared.exit;
  const loaded = withSchedules(prepared.settled);
  try {
    // The scheduler's modules only now: while the loader process runs, this one stays small.
    const { serveRun } = await import("./serve.ts");
    await serveRun(
      prepared.plan,
      { jobs: loaded.jobs, errors: loaded.errors.map(formatConfigError) },
      new ChildLoader(),
    );
    return EXIT_OK;
  } catch (err) {
    return exitCodeOf(err);
  }
}
