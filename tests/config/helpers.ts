/**
 * Test helper: the job JSON Schema (`pt schema`) compiled the way strict tools use it: ajv in
 * strict mode, draft 2020-12, without `allowUnionTypes`. Compiling throws if the schema uses
 * anything strict mode refuses, so importing this module is itself a check.
 *
 * @module
 */

import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { jobJsonSchema } from "../../src/config/schema.ts";

const validate = new Ajv2020({ strict: true, allErrors: true }).compile(jobJsonSchema());

/** What the JSON Schema says about a job file's text: one line per problem, none when valid. */
export function jsonSchemaErrors(text: string): string[] {
  if (validate(parse(text))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}
