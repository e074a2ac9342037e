/**
 * `pt schema`: the JSON Schema of a job file, for editors.
 *
 * @module
 */

import type { Command } from "commander";
import { jobJsonSchema } from "../../config/schema.ts";

/** Registers `schema`. */
export function registerSchema(program: Command): void {
  program.command("schema")
    .description("print the JSON Schema of a job file (for editor completion and checks)")
    .action(() => {
      console.log(JSON.stringify(jobJsonSchema(), null, 2));
    });
}
