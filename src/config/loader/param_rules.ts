/**
 * The rules of a job's `params:` that a shape cannot state: a default must match its own
 * pattern, and a job with a schedule cannot have a required param (scheduled runs get only
 * the defaults). Also what the checks across files need to know of the params: their names
 * and which are required. The shape (names, patterns that compile) is `config/schema.ts`'s.
 *
 * @module
 */

import { paramPattern } from "../../core/params.ts";
import type { YamlFile } from "../yaml_doc.ts";
import type { ReportAt } from "./issues.ts";
import { isRecord } from "./raw.ts";

/** A param as the checks across files see it. */
export interface DeclaredParam {
  /** Its name. */
  readonly name: string;
  /** It has no default: a sub-job task must give it. */
  readonly required: boolean;
}

/** Checks the job's `params` and returns them as declared (valid names only). */
export function checkParams(
  yaml: YamlFile,
  raw: Record<string, unknown>,
  at: ReportAt,
): DeclaredParam[] {
  if (!isRecord(raw.params)) return [];
  const out: DeclaredParam[] = [];
  const scheduled = raw.schedule !== undefined;
  for (const [name, spec] of Object.entries(raw.params)) {
    const full = isRecord(spec) ? spec : null;
    const value = full ? full.default : spec;
    const required = value === undefined || value === null;
    out.push({ name, required });
    if (required && scheduled) {
      at(
        yaml.keyAt(["params", name]),
        `param "${name}" has no default, but the job has a schedule and scheduled runs get ` +
          "only the defaults (give it a default, or remove the schedule)",
      );
    }
    if (!full || typeof full.pattern !== "string" || required || !isScalar(value)) continue;
    let pattern: RegExp;
    try {
      pattern = paramPattern(full.pattern);
    } catch {
      continue; // The shape check reports it.
    }
    if (!pattern.test(String(value))) {
      at(
        yaml.valueAt(["params", name, "default"]),
        `params.${name}.default ${JSON.stringify(String(value))} does not match its pattern ` +
          full.pattern,
      );
    }
  }
  return out;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}
