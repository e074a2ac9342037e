/**
 * Params, sub-job tasks and secrets from the library: jobs built with `JobBuilder`
 * (`withParam`, `withSecrets`, `withEnvFile`) and `JobTaskBuilder`, run with `runOnce` and the
 * `Scheduler`; bad params are a `TriggerRefusedError` with code `bad_params`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BuildError,
  CommandTaskBuilder,
  DagBuilder,
  InMemoryStorage,
  JobBuilder,
  JobTaskBuilder,
  ParamError,
  runOnce,
  Scheduler,
  TestHarness,
  TriggerRefusedError,
} from "../../mod.ts";

function child() {
  const dag = new DagBuilder("child")
    .addTask(
      new CommandTaskBuilder("echo", "sh")
        .args(["-c", 'echo "day=$PETIT_PARAM_DAY token=$TOKEN"'])
        .env({ TOKEN: "lib-secret-1" })
        .build(),
    )
    .build();
  return new JobBuilder("child", "Child", dag)
    .withParam("day", { description: "which day", pattern: "[0-9]{4}-[0-9]{2}-[0-9]{2}" })
    .withSecrets(["TOKEN"])
    .build();
}

function parent() {
  const dag = new DagBuilder("parent")
    .addTask(new JobTaskBuilder("run_child", "child").params({ day: "{{ params.day }}" }).build())
    .build();
  return new JobBuilder("parent", "Parent", dag).withParam("day", { default: "2026-03-01" })
    .build();
}

Deno.test("library: a job task built in code runs the child with params; secrets are masked", async () => {
  const result = await runOnce(parent(), { others: [child()], params: { day: "2026-03-09" } });
  assert.equal(result.status, "completed", result.error ?? "");
  const childRun = result.storage.listRuns({ job_id: "child" })[0];
  assert.equal(childRun.parent_run_id, result.runId);
  assert.deepEqual(childRun.params, { day: "2026-03-09" });
  assert.equal(result.tasks.get("run_child")?.outputs.run_id, childRun.id);
  const [attempt] = result.storage.listAttempts(childRun.id, "echo");
  assert.equal(attempt.stdout, "day=2026-03-09 token=***\n");
});

Deno.test("library: bad params refuse the trigger with code bad_params and a ParamError cause", async () => {
  const scheduler = new Scheduler([child()], { storage: new InMemoryStorage() });
  try {
    assert.throws(
      () => scheduler.trigger("child", { params: { day: "soon" } }),
      (err: unknown) =>
        err instanceof TriggerRefusedError && err.code === "bad_params" &&
        err.cause instanceof ParamError && err.cause.param === "day",
    );
    assert.throws(() => scheduler.trigger("child"), /needs a value for param "day"/);
  } finally {
    await scheduler.shutdown(0);
  }
  const dag = new DagBuilder("d").addTask(new CommandTaskBuilder("t", "true").build()).build();
  assert.throws(() => new JobBuilder("j", "J", dag).withParam("9x"), BuildError);
  assert.throws(() => new JobBuilder("j", "J", dag).withParam("x", { pattern: "(" }), BuildError);
});

Deno.test("library: scheduled runs get the params' defaults", async () => {
  const dag = new DagBuilder("nightly").addTask(new CommandTaskBuilder("t", "true").build())
    .build();
  const job = new JobBuilder("nightly", "Nightly", dag).withSchedule("0 2 * * *")
    .withParam("mode", { default: "full" }).withParam("note", { default: "" }).build();
  await using harness = new TestHarness([job], { start: new Date("2026-01-01T00:00:00Z") });
  await harness.advance(3 * 3_600_000);
  const [run] = harness.runs("nightly");
  assert.equal(run.trigger, "schedule");
  assert.deepEqual(run.params, { mode: "full", note: "" });
});
