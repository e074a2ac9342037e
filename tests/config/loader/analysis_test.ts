/**
 * Tests of analysis.ts: one file on its own, at the YAML level (syntax, empty files,
 * several documents, a file that is not a map).
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatConfigError } from "../../../src/config/errors.ts";
import { assertErrors, load, TASKS, yaml } from "./helpers.ts";

Deno.test("errors: YAML syntax error is reported with its position", () => {
  const result = load(yaml("id: a", "tasks:", "  - id: x", "    command: echo", "   bad: : x"));
  const errors = result.errors.map(formatConfigError);
  assert.ok(errors.length >= 1);
  assert.ok(errors.every((e) => e.includes("YAML syntax error")), errors.join("\n"));
  assert.ok(errors[0].startsWith("job.yaml:5:"), errors[0]);
  assert.equal(result.jobs.length, 0);
});

Deno.test("errors: unclosed flow sequence is a syntax error, not a crash", () => {
  const result = load(yaml("id: a", "tasks: [", "  - id: x"));
  assert.ok(result.errors.length >= 1);
  assert.match(formatConfigError(result.errors[0]), /^job\.yaml:\d+:\d+: YAML syntax error: /);
  assert.equal(result.files[0].jobId, null);
});

Deno.test("errors: empty file and comment-only file", () => {
  assertErrors(load(""), [["job.yaml:1:1", "empty"]]);
  assertErrors(load("# just a comment\n"), [["job.yaml:1:1", "empty"]]);
});

Deno.test("errors: two YAML documents in one file", () => {
  const result = load(yaml("id: a", ...TASKS, "---", "id: b", ...TASKS));
  assertErrors(result, [["job.yaml:5:1", "one YAML document"]]);
});

Deno.test("errors: a file that is not a map", () => {
  assertErrors(load(yaml("- a", "- b")), [["job.yaml:1:1", "must be a map"]]);
});
