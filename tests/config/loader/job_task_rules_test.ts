/**
 * Sub-job tasks (`type: job`) in job files: the fields a job task takes and refuses, what the
 * model gets, and the checks across files (unknown job, params the child does not take or
 * needs, cycles through sub-job tasks), each a positioned error.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatConfigError } from "../../../src/config/errors.ts";
import { assertErrorList, assertErrors, load, loadJobTexts, TASKS, yaml } from "./helpers.ts";

const CHILD = yaml(
  "id: child",
  "params:",
  "  day: {}",
  "  mode: full",
  ...TASKS,
);

Deno.test("job tasks: job and params; the model has the job and the params as strings", () => {
  const result = loadJobTexts([
    {
      file: "parent.yaml",
      text: yaml(
        "id: parent",
        "tasks:",
        "  - id: first",
        "    command: echo",
        "  - id: run_child",
        "    type: job",
        "    job: child",
        "    params:",
        '      day: "{{ tasks.first.stdout }}"',
        "      mode: 3",
        "    depends_on: [first]",
        "    timeout: 1h",
      ),
    },
    { file: "child.yaml", text: CHILD },
  ]);
  assert.deepEqual(result.errors.map(formatConfigError), []);
  const task = result.jobs[0].tasks[1];
  assert.deepEqual(task.job, {
    jobId: "child",
    params: { day: "{{ tasks.first.stdout }}", mode: "3" },
  });
  assert.equal(task.command, null);
  assert.equal(task.timeoutMs, 3_600_000);
});

Deno.test("job tasks: a job task needs job and refuses program fields; others refuse job fields", () => {
  assertErrors(
    load(yaml(
      "id: p",
      "tasks:",
      "  - id: a",
      "    type: job",
      "  - id: b",
      "    type: job",
      "    job: p2",
      "    command: echo",
      "    environment: {A: 1}",
      "  - id: c",
      "    command: echo",
      "    job: p2",
      "    params: {x: 1}",
    )),
    [
      ["job.yaml:3:5", 'tasks[0]: type job needs "job"'],
      ["job.yaml:7:10", 'task "b" runs unknown job "p2"', '(did you mean "p"?)', "(known jobs: p)"],
      ["job.yaml:8:5", 'tasks[1]: "command" is for tasks that run a program; type job runs'],
      ["job.yaml:9:5", 'tasks[1]: "environment" is for tasks that run a program'],
      ["job.yaml:12:5", 'tasks[2]: "job" is for type: job'],
      ["job.yaml:13:5", 'tasks[2]: "params" is for type: job'],
    ],
  );
});

Deno.test("job tasks: params the child does not take, or required ones missing, are errors", () => {
  const result = loadJobTexts([
    {
      file: "parent.yaml",
      text: yaml(
        "id: parent",
        "tasks:",
        "  - id: t",
        "    type: job",
        "    job: child",
        "    params: {mode: quick, dya: x}",
      ),
    },
    { file: "child.yaml", text: CHILD },
  ]);
  assertErrorList(result, [
    ["parent.yaml:5:10", 'task "t" runs job "child" without its required param "day"'],
    [
      "parent.yaml:6:27",
      'task "t" gives param "dya", which job "child" does not take (known params: day, mode)',
    ],
  ]);
  assert.deepEqual(result.jobs.map((j) => j.id), ["child"]);
});

Deno.test("job tasks: a job that runs itself, directly or through others, is a cycle", () => {
  assertErrors(
    load(yaml("id: self", "tasks:", "  - id: again", "    type: job", "    job: self")),
    [["job.yaml:5:10", 'task "again" runs its own job "self" (a job task cycle)']],
  );
  const jobTask = (id: string, next: string) =>
    yaml(`id: ${id}`, "tasks:", "  - id: next", "    type: job", `    job: ${next}`);
  const result = loadJobTexts([
    { file: "a.yaml", text: jobTask("a", "b") },
    { file: "b.yaml", text: jobTask("b", "c") },
    { file: "c.yaml", text: jobTask("c", "a") },
    { file: "d.yaml", text: jobTask("d", "a") },
  ]);
  assertErrorList(result, [
    ["a.yaml:5:10", "job task cycle: a -> b -> c -> a (each runs the next as a sub-job task)"],
  ]);
  // Only the file where the cycle is reported is left out.
  assert.deepEqual(result.jobs.map((j) => j.id), ["b", "c", "d"]);
});
