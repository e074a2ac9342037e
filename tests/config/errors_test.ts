/**
 * Tests of errors.ts: the `file:line:col: message` form, the order of errors, the error
 * classes, and the typo hints of `nearest()`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type ConfigError,
  formatConfigError,
  JobConfigError,
  JobsDirError,
  nearest,
  sortConfigErrors,
} from "../../src/config/errors.ts";

const at = (file: string, line: number, col: number): ConfigError => ({
  file,
  line,
  col,
  message: `${file}@${line}:${col}`,
});

Deno.test("formatConfigError(): file:line:col: message", () => {
  assert.equal(
    formatConfigError({ file: "jobs/a.yaml", line: 3, col: 7, message: "bad" }),
    "jobs/a.yaml:3:7: bad",
  );
});

Deno.test("sortConfigErrors(): by file, then line, then column, in place", () => {
  const errors = [at("b.yaml", 1, 1), at("a.yaml", 2, 5), at("a.yaml", 2, 1), at("a.yaml", 1, 9)];
  const sorted = sortConfigErrors(errors);
  assert.equal(sorted, errors, "sorts the given array");
  assert.deepEqual(sorted.map((e) => `${e.file}:${e.line}:${e.col}`), [
    "a.yaml:1:9",
    "a.yaml:2:1",
    "a.yaml:2:5",
    "b.yaml:1:1",
  ]);
});

Deno.test("JobConfigError: carries every error; its message is one formatted line each", () => {
  const errors = [at("a.yaml", 1, 2), at("b.yaml", 3, 4)];
  const err = new JobConfigError(errors);
  assert.ok(err instanceof Error);
  assert.equal(err.name, "JobConfigError");
  assert.equal(err.errors, errors);
  assert.equal(err.message, "a.yaml:1:2: a.yaml@1:2\nb.yaml:3:4: b.yaml@3:4");
});

Deno.test("JobsDirError: a named error with the message given", () => {
  const err = new JobsDirError("jobs folder not found: /nope");
  assert.ok(err instanceof Error);
  assert.equal(err.name, "JobsDirError");
  assert.equal(err.message, "jobs folder not found: /nope");
});

Deno.test("nearest(): the closest candidate when it is a likely typo", () => {
  assert.equal(nearest("shedule", ["schedule", "timezone", "tasks"]), "schedule");
  assert.equal(nearest("comand", ["command", "script"]), "command");
  assert.equal(nearest("Tasks", ["tasks"]), "tasks", "case does not count");
  assert.equal(nearest("x", []), null);
});

Deno.test("nearest(): nothing when every candidate is too far", () => {
  // Up to 2 edits, or a third of the word's length for long words.
  assert.equal(nearest("owner", ["tasks", "schedule"]), null);
  assert.equal(nearest("abc", ["xyz"]), null);
  assert.equal(nearest("ab", ["xy"]), "xy", "2 edits are always close enough");
  assert.equal(nearest("max_concurency_x", ["max_concurrency"]), "max_concurrency");
});
