/**
 * Tests of cross_check.ts: job ids unique across files, unknown upstream jobs, job cycles.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatConfigError } from "../../../src/config/errors.ts";
import { assertErrors, load, loadJobTexts, TASKS, yaml } from "./helpers.ts";

Deno.test("errors: duplicate job id across files names both files", () => {
  const result = loadJobTexts([
    { file: "d/a.yaml", text: yaml("id: dup", ...TASKS) },
    { file: "d/b.yaml", text: yaml("# second", "id: dup", ...TASKS) },
  ]);
  assert.deepEqual(result.errors.map(formatConfigError), [
    'd/b.yaml:2:5: duplicate job id "dup": also defined in d/a.yaml:1:5',
  ]);
  // The first definition stays valid.
  assert.deepEqual(result.jobs.map((j) => j.file.endsWith("d/a.yaml")), [true]);
});

Deno.test("errors: cross-job dependency on an unknown job, listing known jobs", () => {
  const result = loadJobTexts([
    { file: "a.yaml", text: yaml("id: a", "depends_on: [ghost, c2]", ...TASKS) },
    { file: "b.yaml", text: yaml("id: c1", ...TASKS) },
    { file: "c.yaml", text: yaml("id: zeta", ...TASKS) },
  ]);
  assert.equal(result.errors.length, 2, result.errors.map(formatConfigError).join("\n"));
  const [ghost, c2] = result.errors.map(formatConfigError);
  assert.ok(ghost.startsWith("a.yaml:2:14: "), ghost);
  assert.ok(ghost.includes('unknown job "ghost"') && ghost.includes("(known jobs: a, c1, zeta)"));
  assert.ok(c2.startsWith("a.yaml:2:21: "), c2);
  assert.ok(c2.includes('unknown job "c2"') && c2.includes('did you mean "c1"'), c2);
  assert.deepEqual(result.jobs.map((j) => j.id), ["c1", "zeta"]);
});

Deno.test("errors: unknown job in the map form points at job / job_id", () => {
  const result = loadJobTexts([{
    file: "a.yaml",
    text: yaml("id: a", "depends_on:", "  - job: nope", "  - job_id: nada", ...TASKS),
  }]);
  assertErrors(result, [
    ["a.yaml:3:10", 'unknown job "nope"'],
    ["a.yaml:4:13", 'unknown job "nada"'],
  ]);
});

Deno.test("errors: job depending on itself and a job cycle", () => {
  assertErrors(load(yaml("id: a", "depends_on: [a]", ...TASKS)), [[
    "job.yaml:2:14",
    'job "a" depends on itself',
  ]]);
  const result = loadJobTexts([
    { file: "1.yaml", text: yaml("id: a", "depends_on: [b]", ...TASKS) },
    { file: "2.yaml", text: yaml("id: b", "depends_on:", "  - job: c", ...TASKS) },
    { file: "3.yaml", text: yaml("id: c", "depends_on: [{job_id: a}]", ...TASKS) },
  ]);
  assert.deepEqual(result.errors.map(formatConfigError), [
    "1.yaml:2:13: job dependency cycle: a -> b -> c -> a",
  ]);
});
