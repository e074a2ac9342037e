/**
 * Tests of issues.ts: shape errors as positioned messages (unknown keys with hints, types,
 * missing fields, patterns, enums, durations).
 *
 * @module
 */

import assert from "node:assert/strict";
import { KNOWN_IDS_SHOWN, listKnown } from "../../../src/config/loader/issues.ts";
import { assertErrors, load, TASKS, yaml } from "./helpers.ts";

Deno.test("errors: unknown top-level key suggests the nearest one", () => {
  const result = load(yaml("id: a", "shedule: '* * * * *'", ...TASKS));
  assertErrors(result, [["job.yaml:2:1", 'unknown key "shedule"', 'did you mean "schedule"']]);
});

Deno.test("errors: unknown key in a task suggests the nearest one", () => {
  const result = load(yaml("id: a", ...TASKS, "    arg: [x]"));
  assertErrors(result, [["job.yaml:5:5", 'unknown key "arg" in tasks[0]', 'did you mean "args"']]);
});

Deno.test("errors: unknown key in retry suggests the nearest one", () => {
  const result = load(yaml("id: a", ...TASKS, "    retry:", "      max_attempt: 3"));
  assertErrors(result, [[
    "job.yaml:6:7",
    'unknown key "max_attempt" in tasks[0].retry',
    'did you mean "max_attempts"',
  ]]);
});

Deno.test("errors: unknown key far from any field has no hint", () => {
  const result = load(yaml("id: a", "colour: blue", ...TASKS));
  assertErrors(result, [["job.yaml:2:1", 'unknown key "colour"']]);
  assert.ok(!result.errors[0].message.includes("did you mean"), result.errors[0].message);
});

Deno.test("errors: wrong types name the field, the expected and the actual type", () => {
  const result = load(yaml(
    "id: a",
    "enabled: 'yes'",
    ...TASKS,
    "    timeout_secs: '30'",
    "    args: foo",
  ));
  assertErrors(result, [
    ["job.yaml:2:10", "enabled must be true or false", 'got string "yes"'],
    ["job.yaml:6:19", "tasks[0].timeout_secs must be a number", 'got string "30"'],
    ["job.yaml:7:11", "tasks[0].args must be a list", 'got string "foo"'],
  ]);
});

Deno.test("errors: wrong type of tasks and of one task", () => {
  assertErrors(load(yaml("id: a", "tasks: foo")), [["job.yaml:2:8", "tasks must be a list"]]);
  assertErrors(load(yaml("id: a", "tasks:", "  - foo")), [[
    "job.yaml:3:5",
    "tasks[0] must be a map",
  ]]);
});

Deno.test("errors: missing required fields id, tasks and task id", () => {
  assertErrors(load(yaml(...TASKS)), [["job.yaml:1:1", 'missing required field "id"']]);
  assertErrors(load(yaml("id: a")), [["job.yaml:1:1", 'missing required field "tasks"']]);
  assertErrors(load(yaml("id: a", "tasks:", "  - command: echo")), [[
    "job.yaml:3:5",
    "tasks[0]",
    'missing required field "id"',
  ]]);
});

Deno.test("errors: ids must match [A-Za-z0-9_.-]+", () => {
  const result = load(yaml("id: 'bad id'", "tasks:", "  - id: 'x/y'", "    command: echo"));
  assertErrors(result, [
    ["job.yaml:1:5", "id: job id may only contain", 'got string "bad id"'],
    ["job.yaml:3:9", "tasks[0].id: task id may only contain", 'got string "x/y"'],
  ]);
});

Deno.test("errors: max_concurrency: 0 and empty tasks", () => {
  assertErrors(load(yaml("id: a", "max_concurrency: 0", ...TASKS)), [[
    "job.yaml:2:18",
    "max_concurrency must be at least 1",
  ]]);
  assertErrors(load(yaml("id: a", "tasks: []")), [["job.yaml:2:8", "at least one task"]]);
});

Deno.test("errors: enum values are listed", () => {
  const result = load(yaml("id: a", ...TASKS, "    condition: sometimes"));
  assertErrors(result, [[
    "job.yaml:5:16",
    "tasks[0].condition must be one of all_success, on_failure, all_done, always",
  ]]);
});

Deno.test("errors: bad duration in timeout", () => {
  assertErrors(load(yaml("id: a", ...TASKS, "    timeout: 5x")), [[
    "job.yaml:5:14",
    "tasks[0].timeout",
    'invalid duration "5x"',
  ]]);
});

Deno.test("listKnown: lists every id up to the cap, then the first ones and how many more", () => {
  assert.equal(listKnown(["a", "b", "c"]), "a, b, c");
  const ids = Array.from({ length: KNOWN_IDS_SHOWN + 5 }, (_, i) => `job${i}`);
  assert.equal(listKnown(ids.slice(0, KNOWN_IDS_SHOWN)), ids.slice(0, KNOWN_IDS_SHOWN).join(", "));
  assert.equal(
    listKnown(ids),
    `${ids.slice(0, KNOWN_IDS_SHOWN).join(", ")}, … and 5 more`,
  );
  assert.equal(listKnown(["a", "b", "c"], 2), "a, b, … and 1 more");
});
