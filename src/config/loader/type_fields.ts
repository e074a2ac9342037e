/**
 * The rule every task type shares: the fields of a type are refused on tasks of another type
 * (`url` on a command task, `image` on an http task), each where its key is written.
 *
 * @module
 */

import type { YamlFile } from "../yaml_doc.ts";
import type { ReportAt } from "./issues.ts";

/** Reports each of `fields` that task `i` sets although its type is not `owner`. */
export function refuseOtherTypeFields(
  yaml: YamlFile,
  i: number,
  t: Record<string, unknown>,
  fields: readonly string[],
  owner: string,
  at: ReportAt,
): void {
  for (const key of fields) {
    if (t[key] !== undefined) {
      at(yaml.keyAt(["tasks", i, key]), `tasks[${i}]: "${key}" is for type: ${owner}`);
    }
  }
}
