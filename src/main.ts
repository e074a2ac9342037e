/**
 * Entry point of the `pt` command.
 *
 * @module
 */

import { runCli } from "./cli/program.ts";

if (import.meta.main) {
  Deno.exitCode = await runCli(Deno.args);
}
