/**
 * Tests of error_list.ts: a file's errors are capped at the first MAX_ERRORS_PER_FILE by
 * position, then one line saying how many more there are, and the messages of the errors
 * left out are never built.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatConfigError } from "../../../src/config/errors.ts";
import {
  FileErrors,
  finishErrors,
  MAX_ERRORS_PER_FILE,
} from "../../../src/config/loader/error_list.ts";
import { loadJobTexts as loadTexts } from "../../../src/config/loader/mod.ts";
import { load, loadJobTexts, TASKS, yaml } from "./helpers.ts";
import { assertLinear } from "../../growth.ts";

/** A job whose `n` tasks each depend on a task that does not exist. */
function unknownDeps(n: number, id = "many"): string {
  const lines = [`id: ${id}`, "tasks:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - id: task_${i}`, "    command: echo", `    depends_on: [missing_${i}]`);
  }
  return yaml(...lines);
}

Deno.test("loader: a file's errors stop at MAX_ERRORS_PER_FILE, then one line for the rest", () => {
  const result = load(unknownDeps(5000));
  const lines = result.errors.map(formatConfigError);
  assert.equal(lines.length, MAX_ERRORS_PER_FILE + 1);
  // The first errors by position, in order: task_0 is on line 5, each task 3 lines further.
  lines.slice(0, MAX_ERRORS_PER_FILE).forEach((line, i) => {
    assert.ok(line.startsWith(`job.yaml:${5 + 3 * i}:18: `), line);
    assert.match(line, new RegExp(`unknown task "missing_${i}"`));
  });
  // At the first error left out.
  assert.equal(
    lines[MAX_ERRORS_PER_FILE],
    `job.yaml:${5 + 3 * MAX_ERRORS_PER_FILE}:18: … and ${
      5000 - MAX_ERRORS_PER_FILE
    } more errors in this file`,
  );
  assert.deepEqual(result.jobs, []);
  assert.equal(result.files[0].errors.length, MAX_ERRORS_PER_FILE + 1);
});

Deno.test("loader: unknown dependencies are checked in linear time (500 vs 5,000)", () => {
  // Every error built a "did you mean" over every task id: 15.6 s for 5,000 tasks, 100× the
  // time for 10× the tasks. Compared with itself at a tenth of the size (tests/growth.ts), so
  // that the machine's speed does not decide; the loader alone is timed.
  assertLinear(unknownDeps, (text) => loadTexts([{ file: "job.yaml", text }]), 500);
});

Deno.test("loader: the cap counts per file; errors across files count in their file", () => {
  const result = loadJobTexts([
    { file: "a.yaml", text: unknownDeps(MAX_ERRORS_PER_FILE + 2, "dup") },
    { file: "b.yaml", text: yaml("id: dup", ...TASKS) },
    { file: "c.yaml", text: yaml("id: c", "depends_on: [nowhere]", ...TASKS) },
  ]);
  const byFile = (f: string) => result.errors.filter((e) => e.file === f).map((e) => e.message);
  const a = byFile("a.yaml");
  assert.equal(a.length, MAX_ERRORS_PER_FILE + 1);
  assert.equal(a.at(-1), "… and 2 more errors in this file");
  assert.equal(byFile("b.yaml").length, 1, "duplicate id");
  assert.equal(byFile("c.yaml").length, 1, "the unknown job");
});

Deno.test("finishErrors: an error across files before the cut pushes one out, counted", () => {
  const file = "f.yaml";
  const errors = new FileErrors(file);
  for (let i = 0; i < MAX_ERRORS_PER_FILE + 3; i++) errors.add({ line: 10 + i, col: 1 }, `e${i}`);
  const { errors: shown, omitted } = errors.list();
  assert.equal(shown.length, MAX_ERRORS_PER_FILE);
  assert.deepEqual(omitted, { count: 3, at: { line: 10 + MAX_ERRORS_PER_FILE, col: 1 } });
  const early = { file, line: 1, col: 5, message: "duplicate job id" };
  const final = finishErrors(file, [...shown, early], omitted);
  assert.equal(final.length, MAX_ERRORS_PER_FILE + 1);
  assert.deepEqual(final[0], early);
  assert.deepEqual(final.at(-1), {
    file,
    line: 10 + MAX_ERRORS_PER_FILE - 1,
    col: 1,
    message: "… and 4 more errors in this file",
  });
  assert.deepEqual(finishErrors(file, [early], null), [early], "under the cap: as is");
});

Deno.test("FileErrors: only the messages of the errors shown are built", () => {
  const errors = new FileErrors("f.yaml");
  let built = 0;
  for (let i = 0; i < 1000; i++) {
    errors.add({ line: 1000 - i, col: 1 }, () => {
      built++;
      return `error on line ${1000 - i}`;
    });
  }
  const { errors: shown } = errors.list();
  assert.equal(built, MAX_ERRORS_PER_FILE);
  assert.equal(shown[0].message, "error on line 1");
  assert.equal(errors.count, 1000);
});

Deno.test("FileErrors: errors at the same position keep the order they were found in", () => {
  const errors = new FileErrors("f.yaml");
  errors.add({ line: 2, col: 3 }, "second");
  errors.add({ line: 1, col: 1 }, "first");
  errors.add({ line: 2, col: 3 }, "third");
  assert.deepEqual(errors.list().errors.map((e) => e.message), ["first", "second", "third"]);
  assert.equal(errors.list().omitted, null);
});
