/**
 * The builders (`core/builders.ts`): the task and job specs `DagBuilder`,
 * `CommandTaskBuilder` and `JobBuilder` produce, their defaults, and the mistakes `build()`
 * refuses with a {@link BuildError}.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BuildError,
  CommandTaskBuilder,
  type Dag,
  DagBuilder,
  JobBuilder,
  type Task,
} from "../../src/core/builders.ts";
import { DEFAULT_CATCHUP_LIMIT, NO_RETRY } from "../../src/core/model.ts";
import { parseSchedule, ScheduleError } from "../../src/schedule/schedule.ts";

/** A TypeScript task named `name` that does nothing. */
const noop = (name: string): Task => ({ name, execute: () => {} });

/** A one-task DAG. */
const single = (): Dag => new DagBuilder("d").addTask(noop("only")).build();

/** Asserts that `fn` throws a BuildError with exactly `message`. */
function refuses(fn: () => unknown, message: string): void {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof BuildError, `BuildError, got ${String(err)}`);
    assert.equal(err.name, "BuildError");
    assert.equal(err.message, message);
    return true;
  });
}

Deno.test("DagBuilder: a TypeScript task becomes a custom task with the defaults", () => {
  const task = noop("extract");
  const dag = new DagBuilder("etl", "Daily ETL").addTask(task).build();
  assert.equal(dag.id, "etl");
  assert.equal(dag.name, "Daily ETL");
  assert.deepEqual(dag.tasks, [{
    id: "extract",
    name: "extract",
    dependsOn: [],
    condition: "all_success",
    retry: NO_RETRY,
    timeoutMs: null,
    command: null,
    custom: task,
  }]);
});

Deno.test("DagBuilder: the display name defaults to the id", () => {
  assert.equal(new DagBuilder("etl").addTask(noop("a")).build().name, "etl");
});

Deno.test("DagBuilder.addTask(): options set dependencies, condition and timeout", () => {
  const dag = new DagBuilder("d")
    .addTask(noop("a"))
    .addTask(noop("b"), { dependsOn: ["a"], condition: "on_failure", timeoutMs: 5_000 })
    .build();
  const b = dag.tasks[1];
  assert.deepEqual(b.dependsOn, ["a"]);
  assert.equal(b.condition, "on_failure");
  assert.equal(b.timeoutMs, 5_000);
});

Deno.test("DagBuilder.addTask(): a partial retry policy is merged over the task's own", () => {
  const command = new CommandTaskBuilder("c", "true").retry(3, 1_000).build();
  const dag = new DagBuilder("d").addTask(command, { retry: { backoff: "exponential" } }).build();
  assert.deepEqual(dag.tasks[0].retry, {
    ...NO_RETRY,
    maxAttempts: 3,
    delayMs: 1_000,
    backoff: "exponential",
  });
});

Deno.test("DagBuilder.addTask(): options override a built task, an absent option keeps it", () => {
  const command = new CommandTaskBuilder("c", "true").timeout(9_000).build();
  const kept = new DagBuilder("d").addTask(command).build().tasks[0];
  assert.equal(kept.timeoutMs, 9_000);
  const cleared = new DagBuilder("d").addTask(command, { timeoutMs: null }).build().tasks[0];
  assert.equal(cleared.timeoutMs, null);
});

Deno.test("DagBuilder.addTaskWithDeps(): adds a task that waits for its dependencies", () => {
  const dag = new DagBuilder("d")
    .addTask(noop("a"))
    .addTaskWithDeps(noop("b"), ["a"])
    .addTaskWithDeps(noop("cleanup"), ["b"], "all_done")
    .build();
  assert.deepEqual(dag.tasks.map((t) => [t.id, t.dependsOn, t.condition]), [
    ["a", [], "all_success"],
    ["b", ["a"], "all_success"],
    ["cleanup", ["b"], "all_done"],
  ]);
});

Deno.test("DagBuilder.build(): mixes TypeScript and command tasks in one DAG, in order", () => {
  const dag = new DagBuilder("d")
    .addTask(noop("extract"))
    .addTaskWithDeps(new CommandTaskBuilder("load", "echo").build(), ["extract"])
    .build();
  assert.deepEqual(dag.tasks.map((t) => [t.id, t.custom !== null, t.command !== null]), [
    ["extract", true, false],
    ["load", false, true],
  ]);
});

Deno.test("DagBuilder.build(): refuses an empty DAG", () => {
  refuses(() => new DagBuilder("empty").build(), 'DAG "empty" has no tasks');
});

Deno.test("DagBuilder.build(): refuses a task id with other characters", () => {
  refuses(
    () => new DagBuilder("d").addTask(noop("has space")).build(),
    'task id "has space" may only contain letters, digits, "_", "." and "-"',
  );
});

Deno.test("DagBuilder.build(): refuses a duplicate task id", () => {
  refuses(
    () => new DagBuilder("d").addTask(noop("a")).addTask(noop("a")).build(),
    'duplicate task id "a"',
  );
});

Deno.test("DagBuilder.build(): refuses a task that depends on itself", () => {
  refuses(
    () => new DagBuilder("d").addTaskWithDeps(noop("a"), ["a"]).build(),
    'task "a" depends on itself',
  );
});

Deno.test("DagBuilder.build(): refuses an unknown dependency, listing the known tasks", () => {
  refuses(
    () =>
      new DagBuilder("d")
        .addTask(noop("zeta"))
        .addTask(noop("alpha"))
        .addTaskWithDeps(noop("b"), ["missing"])
        .build(),
    'task "b" depends on unknown task "missing" (known tasks: alpha, b, zeta)',
  );
});

Deno.test("DagBuilder.build(): refuses a dependency cycle, naming its path", () => {
  refuses(
    () =>
      new DagBuilder("d")
        .addTaskWithDeps(noop("a"), ["c"])
        .addTaskWithDeps(noop("b"), ["a"])
        .addTaskWithDeps(noop("c"), ["b"])
        .build(),
    "task dependency cycle: a -> c -> b -> a",
  );
});

Deno.test("DagBuilder.build(): later additions do not change a DAG already built", () => {
  const builder = new DagBuilder("d").addTask(noop("a"));
  const first = builder.build();
  builder.addTask(noop("b"));
  assert.equal(first.tasks.length, 1);
  assert.equal(builder.build().tasks.length, 2);
});

Deno.test("CommandTaskBuilder: a bare command runs the program without a shell, once", () => {
  const task = new CommandTaskBuilder("list", "ls").build();
  assert.deepEqual(task, {
    id: "list",
    name: "list",
    dependsOn: [],
    condition: "all_success",
    retry: NO_RETRY,
    timeoutMs: null,
    command: {
      kind: "command",
      command: "ls",
      args: [],
      script: null,
      inline: false,
      workingDir: null,
      environment: {},
    },
    custom: null,
  });
});

Deno.test("CommandTaskBuilder: sets arguments as strings, working folder and timeout", () => {
  const task = new CommandTaskBuilder("copy", "rsync")
    .args(["-a", 3, true])
    .workingDir("/srv")
    .timeout(60_000)
    .build();
  assert.deepEqual(task.command?.args, ["-a", "3", "true"]);
  assert.equal(task.command?.workingDir, "/srv");
  assert.equal(task.timeoutMs, 60_000);
});

Deno.test("CommandTaskBuilder.env(): adds to the variables set before", () => {
  const task = new CommandTaskBuilder("t", "env")
    .env({ A: "1", B: "2" })
    .env({ B: "3", C: "4" })
    .build();
  assert.deepEqual(task.command?.environment, { A: "1", B: "3", C: "4" });
});

Deno.test("CommandTaskBuilder.retry(): retries with a fixed delay, always by default", () => {
  assert.deepEqual(new CommandTaskBuilder("t", "x").retry(3).build().retry, {
    ...NO_RETRY,
    maxAttempts: 3,
  });
  assert.deepEqual(
    new CommandTaskBuilder("t", "x").retry(2, 500, "transient_only").build().retry,
    { ...NO_RETRY, maxAttempts: 2, delayMs: 500, condition: "transient_only" },
  );
});

Deno.test("JobBuilder: a new job is enabled, unscheduled, without limits or catch-up", () => {
  const dag = single();
  const job = new JobBuilder("nightly", "Nightly", dag).build();
  assert.deepEqual(job, {
    id: "nightly",
    name: "Nightly",
    description: null,
    schedule: null,
    enabled: true,
    maxConcurrency: null,
    config: {},
    environment: {},
    dependsOn: [],
    catchup: "none",
    catchupLimit: DEFAULT_CATCHUP_LIMIT,
    tasks: dag.tasks,
    file: "",
  });
});

Deno.test("JobBuilder: refuses a job id with other characters", () => {
  refuses(
    () => new JobBuilder("bad/id", "Bad", single()),
    'job id "bad/id" may only contain letters, digits, "_", "." and "-"',
  );
});

Deno.test("JobBuilder.withSchedule(): parses an expression in the time zone given", () => {
  const job = new JobBuilder("j", "J", single()).withSchedule("0 2 * * *", "Europe/Paris").build();
  assert.equal(job.schedule?.expression, "0 2 * * *");
  assert.equal(job.schedule?.timezone, "Europe/Paris");
  assert.equal(job.schedule?.kind, "cron");
});

Deno.test("JobBuilder.withSchedule(): takes a parsed schedule as it is", () => {
  const schedule = parseSchedule("@every 5m");
  assert.equal(
    new JobBuilder("j", "J", single()).withSchedule(schedule).build().schedule,
    schedule,
  );
});

Deno.test("JobBuilder.withSchedule(): throws the ScheduleError of a bad expression", () => {
  assert.throws(() => new JobBuilder("j", "J", single()).withSchedule("not cron"), ScheduleError);
});

Deno.test("JobBuilder: sets concurrency, dependencies, catch-up and enabled", () => {
  const job = new JobBuilder("j", "J", single())
    .withMaxConcurrency(2)
    .withDependency({ jobId: "a", condition: { kind: "last_success" } })
    .withDependency({ jobId: "b", condition: { kind: "within_window", windowMs: 60_000 } })
    .withCatchup("all", 3)
    .enabled(false)
    .build();
  assert.equal(job.maxConcurrency, 2);
  assert.deepEqual(job.dependsOn.map((d) => d.jobId), ["a", "b"]);
  assert.deepEqual([job.catchup, job.catchupLimit], ["all", 3]);
  assert.equal(job.enabled, false);
});

Deno.test("JobBuilder.withCatchup(): caps catch-up at DEFAULT_CATCHUP_LIMIT when no limit is given", () => {
  const job = new JobBuilder("j", "J", single()).withCatchup("all").build();
  assert.deepEqual([job.catchup, job.catchupLimit], ["all", DEFAULT_CATCHUP_LIMIT]);
});

Deno.test("JobBuilder: config and environment add to what was set before", () => {
  const job = new JobBuilder("j", "J", single())
    .withConfig({ host: "a", port: 1 })
    .withConfig({ port: 2, debug: true })
    .withEnvironment({ A: "1" })
    .withEnvironment({ B: "2" })
    .build();
  assert.deepEqual(job.config, { host: "a", port: 2, debug: true });
  assert.deepEqual(job.environment, { A: "1", B: "2" });
});

Deno.test("JobBuilder: later calls do not change a job already built", () => {
  const builder = new JobBuilder("j", "J", single());
  const first = builder.build();
  builder.withConfig({ x: 1 }).enabled(false);
  assert.deepEqual(first.config, {});
  assert.equal(first.enabled, true);
});
