/**
 * Tests of build.ts: the JobSpec built from a valid file, with every default and every field.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertErrors, commandOf, load, onlyJob, task, TASKS, valid, yaml } from "./helpers.ts";

Deno.test("model: defaults", () => {
  const job = onlyJob(yaml("id: minimal", ...TASKS));
  assert.equal(job.id, "minimal");
  assert.equal(job.name, "minimal");
  assert.equal(job.description, null);
  assert.equal(job.schedule, null);
  assert.equal(job.enabled, true);
  assert.equal(job.maxConcurrency, null);
  assert.deepEqual(job.config, {});
  assert.deepEqual(job.environment, {});
  assert.deepEqual(job.dependsOn, []);
  assert.equal(job.catchup, "none");
  assert.equal(job.catchupLimit, 10);
  assert.equal(job.file, "/jobs/job.yaml");
  const t = task(job, "t");
  assert.equal(t.name, "t");
  assert.deepEqual(t.dependsOn, []);
  assert.equal(t.condition, "all_success");
  assert.deepEqual(t.retry, {
    maxAttempts: 0,
    delayMs: 0,
    backoff: "fixed",
    maxDelayMs: null,
    condition: "always",
  });
  assert.equal(t.timeoutMs, null);
  assert.deepEqual(commandOf(t), {
    kind: "command",
    command: "echo",
    args: [],
    script: null,
    inline: false,
    workingDir: null,
    environment: {},
  });
});

Deno.test("model: schedule default time zone is UTC", () => {
  const job = onlyJob(yaml("id: a", "schedule: '0 2 * * *'", ...TASKS));
  assert.ok(job.schedule);
  assert.equal(job.schedule.expression, "0 2 * * *");
  assert.equal(job.schedule.timezone, "UTC");
  assert.equal(job.schedule.kind, "cron");
  assert.equal(
    job.schedule.next(new Date("2026-01-01T00:00:00Z"))?.toISOString(),
    "2026-01-01T02:00:00.000Z",
  );
});

Deno.test("model: schedule {cron, timezone} and job-level timezone", () => {
  const inline = onlyJob(
    yaml("id: a", "schedule:", "  cron: '30 2 * * *'", "  timezone: Europe/Berlin", ...TASKS),
  );
  assert.equal(inline.schedule?.expression, "30 2 * * *");
  assert.equal(inline.schedule?.timezone, "Europe/Berlin");
  // 02:30 in Berlin (CET, UTC+1) on 2026-01-01.
  assert.equal(
    inline.schedule?.next(new Date("2026-01-01T00:00:00Z"))?.toISOString(),
    "2026-01-01T01:30:00.000Z",
  );
  const jobLevel = onlyJob(
    yaml("id: b", "schedule: '@every 1h30m'", "timezone: America/New_York", ...TASKS),
  );
  assert.equal(jobLevel.schedule?.timezone, "America/New_York");
  assert.equal(jobLevel.schedule?.kind, "every");
  assert.equal(jobLevel.schedule?.everyMs, 90 * 60_000);
});

Deno.test("model: every job field", () => {
  const [, job] = valid(
    { file: "/jobs/a.yaml", text: yaml("id: up", ...TASKS) },
    {
      file: "/jobs/b.yaml",
      text: yaml(
        "id: b",
        "name: Job B",
        "description: Loads the warehouse",
        "enabled: false",
        "max_concurrency: 2",
        "catchup: all",
        "catchup_limit: 3",
        "config:",
        "  env: prod",
        "  n: 3",
        "  flag: true",
        "  nothing: null",
        "environment:",
        "  A: 1",
        "  B: true",
        "  C: x",
        "  D: 2.5",
        "depends_on:",
        "  - up",
        "  - {job: up, condition: last_complete}",
        "  - {job_id: up, condition: within_window, window: 1h}",
        "  - {job: up, condition: {within_window: {seconds: 60}}}",
        "  - {job: up, condition: last_success}",
        "  - {job: up, condition: within_window, window: 90}",
        ...TASKS,
      ),
    },
  );
  assert.equal(job.id, "b");
  assert.equal(job.name, "Job B");
  assert.equal(job.description, "Loads the warehouse");
  assert.equal(job.enabled, false);
  assert.equal(job.maxConcurrency, 2);
  assert.equal(job.catchup, "all");
  assert.equal(job.catchupLimit, 3);
  assert.deepEqual(job.config, { env: "prod", n: 3, flag: true, nothing: null });
  assert.deepEqual(job.environment, { A: "1", B: "true", C: "x", D: "2.5" });
  assert.deepEqual(job.dependsOn, [
    { jobId: "up", condition: { kind: "last_success" } },
    { jobId: "up", condition: { kind: "last_complete" } },
    { jobId: "up", condition: { kind: "within_window", windowMs: 3_600_000 } },
    { jobId: "up", condition: { kind: "within_window", windowMs: 60_000 } },
    { jobId: "up", condition: { kind: "last_success" } },
    { jobId: "up", condition: { kind: "within_window", windowMs: 90_000 } },
  ]);
  assert.equal(job.file, "/jobs/b.yaml");
});

Deno.test("model: every task field", () => {
  const job = onlyJob(yaml(
    "id: a",
    "tasks:",
    "  - id: cmd",
    "    name: The command",
    "    command: printf",
    "    args: [1, 2.5, true, '%s']",
    "    working_dir: sub/dir",
    "    environment: {X: 5, Y: false, Z: z}",
    "    timeout_secs: 30",
    "    retry: {max_attempts: 3, delay_secs: 2, backoff: exponential, max_delay: 1m,",
    "            condition: transient_only}",
    "  - id: py",
    "    type: python",
    "    script: print(1)",
    "    inline: true",
    "    timeout: 5m",
    "    depends_on: [cmd]",
    "    condition: always",
    "    retry: {max_attempts: 1, delay: 30s, max_delay: 90, condition: never}",
    "  - id: sh",
    "    type: shell",
    "    script: |",
    "      echo one",
    "      echo two",
    "    depends_on: [cmd, py]",
    "    condition: on_failure",
    "    timeout_secs: 0.5",
    "  - id: done",
    "    command: 'true'",
    "    depends_on: [sh]",
    "    condition: all_done",
    "    retry: {delay_secs: 1.5}",
  ));
  assert.deepEqual(job.tasks.map((t) => t.id), ["cmd", "py", "sh", "done"]);
  const cmd = task(job, "cmd");
  assert.equal(cmd.name, "The command");
  assert.equal(cmd.timeoutMs, 30_000);
  assert.deepEqual(cmd.retry, {
    maxAttempts: 3,
    delayMs: 2000,
    backoff: "exponential",
    maxDelayMs: 60_000,
    condition: "transient_only",
  });
  assert.deepEqual(commandOf(cmd), {
    kind: "command",
    command: "printf",
    args: ["1", "2.5", "true", "%s"],
    script: null,
    inline: false,
    workingDir: "sub/dir",
    environment: { X: "5", Y: "false", Z: "z" },
  });

  const py = task(job, "py");
  assert.equal(commandOf(py).kind, "python");
  assert.equal(commandOf(py).script, "print(1)");
  assert.equal(commandOf(py).inline, true);
  assert.equal(commandOf(py).command, null);
  assert.equal(py.timeoutMs, 300_000);
  assert.equal(py.condition, "all_done", "always is an alias of all_done");
  assert.deepEqual(py.dependsOn, ["cmd"]);
  assert.deepEqual(py.retry, {
    maxAttempts: 1,
    delayMs: 30_000,
    backoff: "fixed",
    maxDelayMs: 90_000,
    condition: "never",
  });

  const sh = task(job, "sh");
  assert.equal(commandOf(sh).kind, "shell");
  assert.equal(commandOf(sh).script, "echo one\necho two\n");
  assert.equal(commandOf(sh).inline, false);
  assert.equal(sh.condition, "on_failure");
  assert.deepEqual(sh.dependsOn, ["cmd", "py"]);
  assert.equal(sh.timeoutMs, 500);

  const done = task(job, "done");
  assert.equal(done.condition, "all_done");
  assert.equal(commandOf(done).command, "true");
  assert.equal(done.retry.delayMs, 1500);
});

Deno.test("model: delay and delay_secs together are an error", () => {
  assertErrors(load(yaml("id: a", ...TASKS, "    retry: {delay: 1s, delay_secs: 1}")), [[
    "job.yaml:5:13",
    "either delay or delay_secs",
  ]]);
});
