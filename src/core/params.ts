/**
 * Trigger-time parameters (`params:` of a job): the values a run gets from what its trigger
 * gave and the job's defaults, checked against the job's declarations, and the names they
 * take in a task's environment. Pure: no I/O.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { ParamError, resolveParams } from "./params.ts";
 *
 * const params = [
 *   { name: "day", default: null, description: null, pattern: "\\d{4}-\\d{2}-\\d{2}" },
 *   { name: "mode", default: "full", description: null, pattern: null },
 * ];
 * assert.deepEqual(resolveParams("etl", params, { day: "2026-03-01" }), {
 *   day: "2026-03-01",
 *   mode: "full",
 * });
 * assert.throws(() => resolveParams("etl", params, { day: "yesterday" }), ParamError);
 * ```
 *
 * @module
 */

import type { ParamSpec } from "./model.ts";

/** What is wrong with the parameters of a trigger. */
export type ParamErrorCode = "unknown" | "missing" | "mismatch" | "invalid";

/** Parameters a trigger gave that the job does not take, lacks or refuses. */
export class ParamError extends Error {
  /** `unknown` name, `missing` required value, pattern `mismatch`, `invalid` value. */
  readonly code: ParamErrorCode;
  /** The parameter named in the message. */
  readonly param: string;

  /** Builds the error; `message` names the parameter. */
  constructor(code: ParamErrorCode, param: string, message: string) {
    super(message);
    this.name = "ParamError";
    this.code = code;
    this.param = param;
  }
}

/**
 * A parameter's pattern as the regular expression a whole value must match: the pattern
 * anchored at both ends (`^(?:pattern)$`), no flags. Throws SyntaxError for an invalid one.
 */
export function paramPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/** `PETIT_PARAM_<NAME>`: the variable a parameter takes in every task's environment. */
export function paramEnvName(name: string): string {
  return `PETIT_PARAM_${name.toUpperCase()}`;
}

/** The values of the parameters that have a default (what scheduled runs get). */
export function defaultParams(params: readonly ParamSpec[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) if (p.default !== null) out[p.name] = p.default;
  return out;
}

/**
 * The parameters of a run of job `jobId` that declares `params`, from the values `given` by
 * its trigger and the defaults. Throws {@link ParamError} naming the first parameter that the
 * job does not take, that is required and missing, or whose value does not match its pattern.
 */
export function resolveParams(
  jobId: string,
  params: readonly ParamSpec[] = [],
  given: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const name of Object.keys(given)) {
    if (byName.has(name)) continue;
    const known = [...byName.keys()].sort();
    throw new ParamError(
      "unknown",
      name,
      `job "${jobId}" has no param "${name}" ` +
        (known.length ? `(known params: ${known.join(", ")})` : "(the job takes no params)"),
    );
  }
  const out: Record<string, string> = {};
  for (const p of params) {
    const value = Object.hasOwn(given, p.name) ? given[p.name] : p.default;
    if (value === null) {
      throw new ParamError(
        "missing",
        p.name,
        `job "${jobId}" needs a value for param "${p.name}"` +
          (p.description ? ` (${p.description})` : ""),
      );
    }
    if (typeof value !== "string") {
      throw new ParamError("invalid", p.name, `param "${p.name}" must be a string`);
    }
    if (value.includes("\0")) {
      throw new ParamError(
        "invalid",
        p.name,
        `param "${p.name}" must not contain a NUL character (\\0), which no process can be given`,
      );
    }
    if (p.pattern !== null && !paramPattern(p.pattern).test(value)) {
      throw new ParamError(
        "mismatch",
        p.name,
        `param "${p.name}" of job "${jobId}" must match the pattern ${p.pattern}, ` +
          `got ${JSON.stringify(value)}`,
      );
    }
    out[p.name] = value;
  }
  return out;
}
