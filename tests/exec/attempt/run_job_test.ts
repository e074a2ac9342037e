/**
 * `runJobAttempt`: a sub-job task starts its child through the context's `ChildRuns`, with
 * its params rendered, and ends as the child ends; a refusal fails it with the reason;
 * cancelling the attempt or its timeout cancels the child. A fake `ChildRuns` stands in for
 * the scheduler.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NO_RETRY, type TaskSpec } from "../../../src/core/model.ts";
import {
  ATTEMPT_RUNNERS,
  type AttemptContext,
  type ChildRunEnd,
  type ChildRunRequest,
  type ChildRuns,
  runJobAttempt,
  taskType,
} from "../../../src/exec/attempt/mod.ts";

const TASK: TaskSpec = {
  id: "load",
  name: "load",
  dependsOn: [],
  condition: "all_success",
  retry: NO_RETRY,
  timeoutMs: null,
  command: null,
  custom: null,
  job: { jobId: "child", params: { day: "{{ params.day }}", mode: "quick" } },
};

/** A fake scheduler: records requests; each child ends when the test says. */
class FakeChildRuns implements ChildRuns {
  readonly requests: ChildRunRequest[] = [];
  readonly cancelled: string[] = [];
  refuse: string | null = null;
  #end: ((end: ChildRunEnd) => void) | null = null;

  start(request: ChildRunRequest) {
    if (this.refuse) throw new Error(this.refuse);
    this.requests.push(request);
    const runId = `child-${this.requests.length}`;
    const done = new Promise<ChildRunEnd>((resolve) => (this.#end = resolve));
    return {
      runId,
      done,
      cancel: () => {
        this.cancelled.push(runId);
        this.end({ status: "cancelled", error: "cancelled" });
      },
    };
  }

  end(end: ChildRunEnd): void {
    this.#end?.(end);
  }
}

function context(runs: ChildRuns | undefined, over: Partial<AttemptContext> = {}) {
  const started: unknown[] = [];
  const lines: string[] = [];
  const ctx: AttemptContext = {
    job: { id: "parent" } as AttemptContext["job"],
    runId: "parent-run",
    attempt: 1,
    templates: {
      jobId: "parent",
      runId: "parent-run",
      config: {},
      params: { day: "2026-03-01" },
      tasks: new Map(),
    },
    baseEnv: () => ({}),
    runDir: "/nonexistent",
    outputFile: "/nonexistent/out",
    scheduledFor: null,
    timeoutMs: null,
    childRuns: runs,
    onLine: (_stream, line) => lines.push(line),
    started: (info) => started.push(info),
    ...over,
  };
  return { ctx, started, lines };
}

Deno.test("runJobAttempt: the child gets the rendered params; its run id is the output", async () => {
  const runs = new FakeChildRuns();
  const { ctx, started, lines } = context(runs);
  const attempt = runJobAttempt(TASK, ctx);
  await Promise.resolve();
  assert.deepEqual(runs.requests, [{
    jobId: "child",
    params: { day: "2026-03-01", mode: "quick" },
    parentRunId: "parent-run",
  }]);
  assert.deepEqual(started, [{ pgid: null, procStart: null }]);
  runs.end({ status: "completed", error: null });
  const result = await attempt;
  assert.equal(result.ok, true);
  assert.deepEqual(result.logs.outputs, { run_id: "child-1" });
  assert.deepEqual(lines, ["run child-1 of job child started", "run child-1 completed"]);
  assert.equal(result.logs.stdout, "run child-1 of job child started\nrun child-1 completed\n");
});

Deno.test("runJobAttempt: a failed child fails the task with the child's error", async () => {
  const runs = new FakeChildRuns();
  const attempt = runJobAttempt(TASK, context(runs).ctx);
  runs.end({ status: "failed", error: 'task "t" failed: exit code 3' });
  const result = await attempt;
  assert.equal(result.ok, false);
  assert.equal(result.cancelled, false);
  assert.equal(
    result.error,
    'child run child-1 of job "child" failed: task "t" failed: exit code 3',
  );
  assert.deepEqual(result.logs.outputs, { run_id: "child-1" });
});

Deno.test("runJobAttempt: a refused child (a limit) fails the task with the reason", async () => {
  const runs = new FakeChildRuns();
  runs.refuse = "job limit reached: 1 of max_concurrency 1 runs active";
  const { ctx, started } = context(runs);
  const result = await runJobAttempt(TASK, ctx);
  assert.equal(result.ok, false);
  assert.equal(result.transient, true);
  assert.equal(
    result.error,
    'job "child" was not started: job limit reached: 1 of max_concurrency 1 runs active',
  );
  assert.deepEqual(started, [{ pgid: null, procStart: null }]);
  const alone = await runJobAttempt(TASK, context(undefined).ctx);
  assert.match(alone.error, /sub-job tasks need a scheduler/);
});

Deno.test("runJobAttempt: cancelling the attempt, or its timeout, cancels the child", async () => {
  const runs = new FakeChildRuns();
  const controller = new AbortController();
  const attempt = runJobAttempt(TASK, context(runs, { signal: controller.signal }).ctx);
  controller.abort();
  const result = await attempt;
  assert.deepEqual(runs.cancelled, ["child-1"]);
  assert.equal(result.cancelled, true);
  assert.equal(result.error, "cancelled");

  const timed = await runJobAttempt(TASK, context(runs, { timeoutMs: 20 }).ctx);
  assert.deepEqual(runs.cancelled, ["child-1", "child-2"]);
  assert.equal(timed.ok, false);
  assert.equal(timed.transient, true);
  assert.equal(timed.error, "timed out after 20 ms (child run child-2 cancelled)");

  // Already cancelled: no child starts.
  const before = await runJobAttempt(TASK, context(runs, { signal: controller.signal }).ctx);
  assert.equal(before.cancelled, true);
  assert.equal(runs.requests.length, 2);
});

Deno.test("taskType and ATTEMPT_RUNNERS: a task with a sub-job is of type job", () => {
  assert.equal(taskType(TASK), "job");
  assert.equal(ATTEMPT_RUNNERS.job, runJobAttempt);
});
