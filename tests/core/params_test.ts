/**
 * `resolveParams()` and friends: the values a run gets from its trigger and the defaults, and
 * each way a trigger's params are refused (the message names the param).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ParamSpec } from "../../src/core/model.ts";
import {
  defaultParams,
  paramEnvName,
  ParamError,
  paramPattern,
  resolveParams,
} from "../../src/core/params.ts";

const PARAMS: ParamSpec[] = [
  { name: "day", default: null, description: "the day to load", pattern: "\\d{4}-\\d{2}-\\d{2}" },
  { name: "mode", default: "full", description: null, pattern: "full|quick" },
  { name: "note", default: "", description: null, pattern: null },
];

/** The ParamError `fn` throws. */
function paramError(fn: () => unknown): ParamError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ParamError) return err;
    throw err;
  }
  throw new Error("no ParamError");
}

Deno.test("resolveParams(): given values win, the others get their defaults", () => {
  assert.deepEqual(resolveParams("etl", PARAMS, { day: "2026-03-01" }), {
    day: "2026-03-01",
    mode: "full",
    note: "",
  });
  assert.deepEqual(
    resolveParams("etl", PARAMS, { day: "2026-03-01", mode: "quick" }).mode,
    "quick",
  );
  assert.deepEqual(resolveParams("plain", [], {}), {});
  assert.deepEqual(resolveParams("plain", undefined, undefined), {});
});

Deno.test("resolveParams(): an unknown name, a missing value, a mismatch each name the param", () => {
  const unknown = paramError(() => resolveParams("etl", PARAMS, { day: "2026-03-01", dya: "x" }));
  assert.equal(unknown.code, "unknown");
  assert.equal(unknown.param, "dya");
  assert.equal(unknown.message, 'job "etl" has no param "dya" (known params: day, mode, note)');
  assert.match(
    paramError(() => resolveParams("plain", [], { x: "1" })).message,
    /job "plain" has no param "x" \(the job takes no params\)/,
  );

  const missing = paramError(() => resolveParams("etl", PARAMS, {}));
  assert.equal(missing.code, "missing");
  assert.equal(missing.message, 'job "etl" needs a value for param "day" (the day to load)');

  const mismatch = paramError(() => resolveParams("etl", PARAMS, { day: "yesterday" }));
  assert.equal(mismatch.code, "mismatch");
  assert.equal(mismatch.param, "day");
  assert.equal(
    mismatch.message,
    'param "day" of job "etl" must match the pattern \\d{4}-\\d{2}-\\d{2}, got "yesterday"',
  );
  const nul = paramError(() => resolveParams("etl", PARAMS, { day: "2026-03-01", note: "a\0b" }));
  assert.equal(nul.code, "invalid");
});

Deno.test("paramPattern(): the pattern must match the whole value", () => {
  const p = paramPattern("full|quick");
  assert.ok(p.test("full") && p.test("quick"));
  assert.ok(!p.test("fuller") && !p.test("a quick one"));
  assert.ok(!paramPattern("\\d+").test("12a"));
  assert.throws(() => paramPattern("("), SyntaxError);
  // A default matched against its own pattern is checked by the loader, not here.
  assert.deepEqual(resolveParams("etl", PARAMS, { day: "2026-03-01", mode: "full" }).mode, "full");
  assert.throws(() => resolveParams("etl", PARAMS, { day: "2026-03-01", mode: "fullx" }));
});

Deno.test("defaultParams() and paramEnvName(): what scheduled runs get, and the variable names", () => {
  assert.deepEqual(defaultParams(PARAMS), { mode: "full", note: "" });
  assert.deepEqual(defaultParams(), {});
  assert.equal(paramEnvName("day"), "PETIT_PARAM_DAY");
  assert.equal(paramEnvName("out_Dir2"), "PETIT_PARAM_OUT_DIR2");
});
