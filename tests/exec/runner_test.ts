/**
 * The DAG runner driven through `Scheduler` over a real SQLite file: jobs come from YAML
 * (loadJobTexts), tasks are real subprocesses, and every test checks the stored records as
 * well as the RunResult. Each test gets its own temp folder (job folder + database).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadJobTexts } from "../../src/config/loader/mod.ts";
import type { TaskSpec } from "../../src/core/model.ts";
import type { PetitEvent } from "../../src/events/types.ts";
import type { RunResult } from "../../src/exec/runner.ts";
import { retryDelay } from "../../src/exec/task_attempts.ts";
import {
  Scheduler,
  type SchedulerOptions,
  TriggerRefusedError,
} from "../../src/scheduler/scheduler.ts";
import { SqliteStorage } from "../../src/storage/sqlite/mod.ts";
import type { AttemptRecord, RunRecord, TaskRunRecord } from "../../src/storage/types.ts";

interface Harness {
  /** The job file's folder (tasks run here unless working_dir says otherwise). */
  readonly jobsDir: string;
  readonly dbPath: string;
  readonly storage: SqliteStorage;
  readonly scheduler: Scheduler;
  /** Every event published, in order. */
  readonly events: PetitEvent[];
}

interface Finished {
  readonly result: RunResult;
  readonly run: RunRecord;
  readonly tasks: Map<string, TaskRunRecord>;
  readonly elapsedMs: number;
}

/**
 * A temp folder with `jobs/job.yaml` (= `yaml`, also loaded with loadJobTexts) and a SQLite
 * file, a Scheduler over them, cleaned up afterwards (scheduler shut down, store closed,
 * folder removed).
 */
async function withScheduler(
  yaml: string,
  fn: (h: Harness) => Promise<void>,
  options: Omit<Partial<SchedulerOptions>, "storage"> = {},
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "petit-runner-test-" });
  const jobsDir = join(root, "jobs");
  await Deno.mkdir(jobsDir);
  const file = join(jobsDir, "job.yaml");
  await Deno.writeTextFile(file, yaml);
  const loaded = loadJobTexts([{ file, text: yaml }]);
  assert.deepEqual(loaded.errors.map((e) => `${e.line}:${e.col}: ${e.message}`), []);
  const dbPath = join(root, "petit.db");
  const storage = new SqliteStorage(dbPath);
  const scheduler = new Scheduler(loaded.jobs, { storage, ...options });
  const events: PetitEvent[] = [];
  scheduler.bus.subscribe((e) => events.push(e));
  try {
    await fn({ jobsDir, dbPath, storage, scheduler, events });
  } finally {
    await scheduler.shutdown(0);
    storage.close();
    await Deno.remove(root, { recursive: true });
  }
}

/** Triggers `jobId` and waits for it; returns the result with the stored run and tasks. */
async function runJob(h: Harness, jobId = "job"): Promise<Finished> {
  const t0 = performance.now();
  const started = h.scheduler.trigger(jobId);
  const result = await started.done;
  const elapsedMs = performance.now() - t0;
  return { result, elapsedMs, ...stored(h, started.runId) };
}

function stored(h: Harness, runId: string): { run: RunRecord; tasks: Map<string, TaskRunRecord> } {
  const run = h.storage.getRun(runId);
  assert.ok(run, `run ${runId} is stored`);
  const tasks = new Map(h.storage.listTaskRuns(runId).map((t) => [t.task_id, t]));
  return { run, tasks };
}

function task(f: { tasks: Map<string, TaskRunRecord> }, id: string): TaskRunRecord {
  const t = f.tasks.get(id);
  assert.ok(t, `task ${id} is stored (have: ${[...f.tasks.keys()].join(", ")})`);
  return t;
}

function attempts(h: Harness, runId: string, taskId: string): AttemptRecord[] {
  return h.storage.listAttempts(runId, taskId);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function readLines(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
}

/**
 * Whether `pid` is gone. The init of this machine may never reap orphans, so a zombie
 * (`ps` state Z) counts as gone: it holds nothing and runs nothing. Uses `ps` because Deno
 * reads /proc only with --allow-all.
 */
async function pidGone(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return stat === "" || stat.startsWith("Z");
}

async function waitPidGone(pid: number, ms = 7000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await pidGone(pid))) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `path` holds a number (a pid written by a task). */
async function waitPidFile(path: string, ms = 10_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await Deno.readTextFile(path).catch(() => "");
    if (/^\d+\n/.test(text)) return Number(text.trim());
    if (Date.now() > deadline) throw new Error(`no pid in ${path} after ${ms} ms`);
    await delay(20);
  }
}

const HAS_PYTHON = await new Deno.Command("python3", { args: ["--version"], stdout: "null" })
  .output()
  .then((o) => o.success, () => false);

// ---- order, eager start, limits ----

Deno.test("order and eager start: c starts as soon as a is done, while b is still running", async () => {
  const yaml = `id: job
tasks:
  - id: a
    type: shell
    script: date +%s%N > a.end
  - id: b
    type: shell
    script: |
      sleep 1
      if [ -f c.start ]; then echo yes > b.saw_c; fi
      date +%s%N > b.end
  - id: c
    type: shell
    script: date +%s%N > c.start
    depends_on: [a]
  - id: d
    type: shell
    script: date +%s%N > d.start
    depends_on: [b]
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    assert.equal(f.result.status, "completed");
    assert.equal(f.run.status, "completed");
    const ns = async (name: string) =>
      BigInt((await Deno.readTextFile(join(h.jobsDir, name))).trim());
    // From the tasks' own clocks: c ran before b finished (no waves), d after b, c after a.
    assert.ok(await exists(join(h.jobsDir, "b.saw_c")), "c had started before b finished");
    assert.ok((await ns("c.start")) < (await ns("b.end")));
    assert.ok((await ns("c.start")) >= (await ns("a.end")));
    assert.ok((await ns("d.start")) >= (await ns("b.end")));
    // The stored task runs say the same.
    const [a, b, c, d] = ["a", "b", "c", "d"].map((id) => task(f, id));
    for (const t of [a, b, c, d]) {
      assert.equal(t.status, "completed");
      assert.equal(t.attempts, 1);
      assert.equal(t.exit_code, 0);
      assert.ok(t.started_at !== null && t.ended_at !== null && t.duration_ms !== null);
    }
    assert.ok(c.started_at! < b.ended_at!, "stored: c started before b ended");
    assert.ok(c.started_at! >= a.ended_at!, "stored: c started after a ended");
    assert.ok(d.started_at! >= b.ended_at!, "stored: d started after b ended");
    assert.ok(b.duration_ms! >= 900, `b took ${b.duration_ms} ms`);
    // Events: every task event carries the ids.
    for (const e of h.events) {
      if (e.type.startsWith("task_")) {
        const ids = e as unknown as { job_id: string; run_id: string; task_id: string };
        assert.equal(ids.job_id, "job");
        assert.equal(ids.run_id, f.run.id);
        assert.ok(["a", "b", "c", "d"].includes(ids.task_id));
      }
    }
  });
});

Deno.test("per-run limit: maxTasks 2 never runs more than 2 of 6 tasks at once", async () => {
  const tasks = [1, 2, 3, 4, 5, 6].map((i) =>
    `  - id: t${i}
    type: shell
    script: |
      echo "S $(date +%s%N)" >> log
      sleep 0.3
      echo "E $(date +%s%N)" >> log
`
  ).join("");
  await withScheduler(`id: job\ntasks:\n${tasks}`, async (h) => {
    const f = await runJob(h);
    assert.equal(f.result.status, "completed");
    const marks = (await readLines(join(h.jobsDir, "log"))).map((l) => {
      const [kind, ns] = l.split(" ");
      return { kind, at: BigInt(ns) };
    });
    assert.equal(marks.length, 12);
    marks.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.kind === "E" ? -1 : 1));
    let running = 0;
    let peak = 0;
    for (const m of marks) {
      running += m.kind === "S" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assert.equal(peak, 2, "two tasks ran at once, never three");
    assert.ok(f.elapsedMs >= 900, `6 × 0.3 s over 2 slots takes ≥ 0.9 s, took ${f.elapsedMs}`);
    // Stored: at no instant were more than two tasks between started_at and ended_at.
    const spans = [...f.tasks.values()].map((t) => [t.started_at!, t.ended_at!] as const);
    for (const [start] of spans) {
      const overlapping = spans.filter(([s, e]) => s <= start && start < e).length;
      assert.ok(overlapping <= 2, `stored overlap ${overlapping} at ${start}`);
    }
  }, { maxTasks: 2 });
});

// ---- conditions ----

Deno.test("conditions: all_success, on_failure, all_done/always, skip propagation", async () => {
  const yaml = `id: job
tasks:
  - id: ok
    type: shell
    script: touch ran.ok
  - id: bad
    type: shell
    script: touch ran.bad; echo broken >&2; exit 3
  - id: on_fail
    type: shell
    script: touch ran.on_fail
    depends_on: [bad]
    condition: on_failure
  - id: on_fail_no_failure
    type: shell
    script: touch ran.on_fail_no_failure
    depends_on: [ok]
    condition: on_failure
  - id: root_on_fail
    type: shell
    script: touch ran.root_on_fail
    condition: on_failure
  - id: after_bad
    type: shell
    script: touch ran.after_bad
    depends_on: [bad]
  - id: chain
    type: shell
    script: touch ran.chain
    depends_on: [after_bad]
  - id: done_after_skip
    type: shell
    script: touch ran.done_after_skip
    depends_on: [chain]
    condition: all_done
  - id: always_after_bad
    type: shell
    script: touch ran.always_after_bad
    depends_on: [bad, ok]
    condition: always
  - id: after_done
    type: shell
    script: touch ran.after_done
    depends_on: [done_after_skip]
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    const expected: Record<string, string> = {
      ok: "completed",
      bad: "failed",
      on_fail: "completed",
      on_fail_no_failure: "skipped",
      root_on_fail: "skipped",
      after_bad: "skipped",
      chain: "skipped",
      done_after_skip: "completed",
      always_after_bad: "completed",
      after_done: "completed",
    };
    for (const [id, status] of Object.entries(expected)) {
      assert.equal(task(f, id).status, status, `stored status of ${id}`);
      assert.equal(f.result.tasks.get(id)?.status, status, `result status of ${id}`);
      assert.equal(await exists(join(h.jobsDir, `ran.${id}`)), status !== "skipped", `ran.${id}`);
    }
    assert.equal(task(f, "bad").exit_code, 3);
    assert.equal(task(f, "bad").error, "exit code 3");
    assert.match(task(f, "chain").error ?? "", /dependency "after_bad" skipped/);
    assert.match(task(f, "root_on_fail").error ?? "", /no dependency failed/);
    for (const id of ["on_fail_no_failure", "root_on_fail", "after_bad", "chain"]) {
      assert.equal(task(f, id).attempts, 0);
      assert.equal(attempts(h, f.run.id, id).length, 0, `no attempt for skipped ${id}`);
    }
    assert.equal(f.result.status, "failed");
    assert.equal(f.run.status, "failed");
    assert.equal(f.run.error, `task "bad" failed: exit code 3`);
    const skippedEvents = h.events.filter((e) => e.type === "task_skipped").length;
    assert.equal(skippedEvents, 4);
  });
});

Deno.test("run result: completed when tasks are only completed or skipped", async () => {
  const yaml = `id: job
tasks:
  - id: ok
    command: "true"
  - id: cleanup
    command: "true"
    depends_on: [ok]
    condition: on_failure
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    assert.equal(task(f, "cleanup").status, "skipped");
    assert.equal(f.result.status, "completed");
    assert.equal(f.result.error, null);
    assert.equal(f.run.status, "completed");
    assert.equal(f.run.error, null);
    assert.ok(f.run.ended_at !== null && f.run.duration_ms !== null);
  });
});

// ---- retries ----

Deno.test("retry: max_attempts 2 with condition always → 3 stored attempts with logs", async () => {
  const yaml = `id: job
tasks:
  - id: flaky
    type: shell
    script: |
      echo "out $PETIT_ATTEMPT"
      echo "err $PETIT_ATTEMPT" >&2
      exit $((PETIT_ATTEMPT + 4))
    retry:
      max_attempts: 2
      condition: always
  - id: second_time
    type: shell
    script: |
      echo "try $PETIT_ATTEMPT"
      [ "$PETIT_ATTEMPT" = 2 ]
    retry:
      max_attempts: 3
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    const list = attempts(h, f.run.id, "flaky");
    assert.deepEqual(list.map((a) => a.attempt), [1, 2, 3]);
    assert.deepEqual(list.map((a) => a.exit_code), [5, 6, 7]);
    assert.deepEqual(list.map((a) => a.stdout), ["out 1\n", "out 2\n", "out 3\n"]);
    assert.deepEqual(list.map((a) => a.stderr), ["err 1\n", "err 2\n", "err 3\n"]);
    assert.deepEqual(list.map((a) => a.error), ["exit code 5", "exit code 6", "exit code 7"]);
    for (const a of list) assert.ok(a.ended_at !== null && a.ended_at >= a.started_at);
    const flaky = task(f, "flaky");
    assert.equal(flaky.status, "failed");
    assert.equal(flaky.attempts, 3);
    assert.equal(flaky.exit_code, 7);
    assert.equal(f.result.tasks.get("flaky")?.attempts, 3);
    // Succeeds on its second execution: PETIT_ATTEMPT is 2 on the retry.
    const second = task(f, "second_time");
    assert.equal(second.status, "completed");
    assert.equal(second.attempts, 2);
    assert.deepEqual(attempts(h, f.run.id, "second_time").map((a) => a.stdout), [
      "try 1\n",
      "try 2\n",
    ]);
    const retrying = h.events.filter((e) => e.type === "task_retrying");
    assert.equal(retrying.length, 3);
    assert.equal(f.result.status, "failed");
  });
});

Deno.test("retry: transient_only retries timeouts and failures to start, not exit 1; never never", async () => {
  const yaml = `id: job
tasks:
  - id: exit1
    type: shell
    script: exit 1
    retry: { max_attempts: 2, condition: transient_only }
  - id: slow
    command: sleep
    args: [30]
    timeout: 300ms
    retry: { max_attempts: 1, condition: transient_only }
  - id: missing
    command: petit-no-such-program-7f3a
    retry: { max_attempts: 1, condition: transient_only }
  - id: never
    type: shell
    script: exit 1
    retry: { max_attempts: 3, condition: never }
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    const n = (id: string) => attempts(h, f.run.id, id).length;
    assert.equal(n("exit1"), 1, "exit 1 is not transient");
    assert.equal(task(f, "exit1").attempts, 1);
    assert.equal(n("slow"), 2, "a timeout is retried");
    assert.equal(task(f, "slow").attempts, 2);
    assert.equal(task(f, "slow").error, "timed out after 300 ms");
    assert.deepEqual(attempts(h, f.run.id, "slow").map((a) => a.error), [
      "timed out after 300 ms",
      "timed out after 300 ms",
    ]);
    assert.equal(n("missing"), 2, "a program that cannot start is retried");
    assert.equal(n("never"), 1, "condition never does not retry");
    for (const id of ["exit1", "slow", "missing", "never"]) {
      assert.equal(task(f, id).status, "failed", id);
    }
    assert.ok(f.elapsedMs < 15_000, `the 30 s sleeps were killed (took ${f.elapsedMs} ms)`);
  });
});

Deno.test("retry: exponential backoff delays (unit) and as observed", async () => {
  const yaml = `id: job
tasks:
  - id: exp
    type: shell
    script: exit 1
    retry: { max_attempts: 3, delay: 200ms, backoff: exponential }
  - id: capped
    command: "true"
    retry: { max_attempts: 5, delay: 1s, backoff: exponential, max_delay: 3s }
  - id: fixed
    command: "true"
    retry: { max_attempts: 3, delay_secs: 2 }
`;
  await withScheduler(yaml, async (h) => {
    const spec = (id: string): TaskSpec => h.scheduler.job("job")!.tasks.find((t) => t.id === id)!;
    assert.deepEqual([1, 2, 3].map((n) => retryDelay(spec("exp"), n)), [200, 400, 800]);
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelay(spec("capped"), n)), [
      1000,
      2000,
      3000,
      3000,
      3000,
    ]);
    assert.deepEqual([1, 2, 3].map((n) => retryDelay(spec("fixed"), n)), [2000, 2000, 2000]);

    const f = await runJob(h);
    const announced = h.events.flatMap((e) =>
      e.type === "task_retrying" && e.task_id === "exp" ? [e.delay_ms] : []
    );
    assert.deepEqual(announced, [200, 400, 800]);
    const list = attempts(h, f.run.id, "exp");
    assert.equal(list.length, 4);
    const gaps = list.slice(1).map((a, i) => a.started_at - list[i].ended_at!);
    for (const [i, want] of [200, 400, 800].entries()) {
      // Timers may fire a little early relative to Date.now() granularity, never much.
      assert.ok(gaps[i] >= want - 15, `gap ${i + 1} is ${gaps[i]} ms, want ≥ ${want}`);
      assert.ok(gaps[i] < want + 3000, `gap ${i + 1} is ${gaps[i]} ms, want about ${want}`);
    }
    assert.ok(f.elapsedMs >= 1400 - 45, `took ${f.elapsedMs} ms`);
  });
});

// ---- processes ----

Deno.test("timeout kills the whole process tree", async () => {
  const yaml = `id: job
tasks:
  - id: tree
    type: shell
    script: sleep 300 & echo $! > pidfile; sleep 300
    timeout_secs: 1
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    const pid = Number((await Deno.readTextFile(join(h.jobsDir, "pidfile"))).trim());
    assert.ok(pid > 1);
    try {
      assert.equal(f.result.status, "failed");
      const tree = task(f, "tree");
      assert.equal(tree.status, "failed");
      assert.equal(tree.error, "timed out after 1000 ms");
      assert.equal(tree.exit_code, null);
      assert.equal(tree.pgid, null, "the recovery record is cleared");
      assert.ok(f.elapsedMs >= 950 && f.elapsedMs < 10_000, `took ${f.elapsedMs} ms`);
      assert.ok(await waitPidGone(pid), `grandchild ${pid} survived the timeout`);
    } finally {
      killQuietly(pid);
    }
  });
});

Deno.test("missing program: task failed with 'program not found', run failed, no crash", async () => {
  const yaml = `id: job
tasks:
  - id: ghost
    command: petit-no-such-program-7f3a
    args: [x]
  - id: after
    command: "true"
    depends_on: [ghost]
  - id: other
    command: "true"
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    const ghost = task(f, "ghost");
    assert.equal(ghost.status, "failed");
    assert.equal(ghost.error, "program not found: petit-no-such-program-7f3a");
    assert.equal(ghost.exit_code, null);
    const list = attempts(h, f.run.id, "ghost");
    assert.equal(list.length, 1);
    assert.equal(list[0].error, "program not found: petit-no-such-program-7f3a");
    assert.equal(task(f, "after").status, "skipped");
    assert.equal(task(f, "other").status, "completed");
    assert.equal(f.result.status, "failed");
    assert.equal(f.run.status, "failed");
    assert.match(f.run.error ?? "", /program not found: petit-no-such-program-7f3a/);
    // The scheduler is still usable afterwards.
    const again = await runJob(h);
    assert.equal(again.run.status, "failed");
  });
});

Deno.test("log capture: 100 MB of stdout keeps 1 MiB, counts every byte, costs no memory", async () => {
  const yaml = `id: job
tasks:
  - id: flood
    type: shell
    script: |
      head -c 104857600 /dev/zero | tr '\\0' x
      echo done >&2
`;
  await withScheduler(yaml, async (h) => {
    const before = Deno.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 10);
    let f: Finished;
    try {
      f = await runJob(h);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, Deno.memoryUsage().rss);
    assert.equal(f.result.status, "completed");
    const [a] = attempts(h, f.run.id, "flood");
    assert.equal(a.stdout.length, 1024 * 1024);
    assert.ok(/^x+$/.test(a.stdout));
    assert.equal(a.stdout_truncated, true);
    assert.equal(a.stdout_bytes, 104_857_600);
    assert.equal(a.stderr, "done\n");
    assert.equal(a.stderr_truncated, false);
    assert.equal(a.stderr_bytes, 5);
    const grown = (peak - before) / 1e6;
    assert.ok(grown < 60, `RSS grew by ${grown.toFixed(1)} MB`);
  });
});

// ---- environment, outputs, templates ----

Deno.test("environment layers: pt < job < task < PETIT_* variables", async () => {
  const yaml = `id: job
environment:
  JOB_ONLY: job
  JOB_AND_TASK: job
  PT_AND_JOB: job
tasks:
  - id: env
    type: shell
    environment:
      JOB_AND_TASK: task
      PETIT_JOB_ID: spoofed
    script: |
      env | grep -E '^(PT_ONLY|PT_AND_JOB|JOB_ONLY|JOB_AND_TASK|PETIT_[A-Z_]+|HOME)=' | sort
      [ "$PETIT_ATTEMPT" = 2 ]
    retry: { max_attempts: 1 }
`;
  const baseEnv = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    PT_ONLY: "pt",
    PT_AND_JOB: "pt",
    PETIT_TASK_ID: "spoofed",
  };
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    assert.equal(task(f, "env").status, "completed");
    const list = attempts(h, f.run.id, "env");
    assert.equal(list.length, 2);
    const parse = (a: AttemptRecord) =>
      Object.fromEntries(a.stdout.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)));
    for (const [i, a] of list.entries()) {
      const env = parse(a);
      assert.equal(env.PT_ONLY, "pt");
      assert.equal(env.PT_AND_JOB, "job");
      assert.equal(env.JOB_ONLY, "job");
      assert.equal(env.JOB_AND_TASK, "task");
      assert.equal(env.PETIT_JOB_ID, "job");
      assert.equal(env.PETIT_RUN_ID, f.run.id);
      assert.equal(env.PETIT_TASK_ID, "env");
      assert.equal(env.PETIT_ATTEMPT, String(i + 1));
      assert.match(env.PETIT_OUTPUT, new RegExp(`/env\\.${i + 1}\\.out$`));
      assert.equal(env.PETIT_SCHEDULED_FOR, undefined, "manual runs have no slot");
      assert.equal(env.HOME, undefined, "nothing outside baseEnv is inherited");
    }
  }, { baseEnv });
});

Deno.test("outputs: $PETIT_OUTPUT lines are stored and reach downstream tasks", async () => {
  const yaml = `id: job
tasks:
  - id: up-stream
    type: shell
    script: |
      echo rows=42 >> "$PETIT_OUTPUT"
      echo "# a comment" >> "$PETIT_OUTPUT"
      echo "name=hello world" >> "$PETIT_OUTPUT"
  - id: mid
    command: "true"
    depends_on: [up-stream]
  - id: down
    type: shell
    script: |
      echo "$PETIT_OUT_UP_STREAM_ROWS|{{ tasks.up-stream.outputs.rows }}|{{ tasks.up-stream.outputs.name }}|$PETIT_OUT_UP_STREAM_NAME"
    depends_on: [mid]
  - id: unrelated
    type: shell
    script: echo "[$PETIT_OUT_UP_STREAM_ROWS]"
`;
  await withScheduler(yaml, async (h) => {
    const f = await runJob(h);
    assert.equal(f.result.status, "completed");
    assert.deepEqual(h.storage.getOutputs(f.run.id, "up-stream"), {
      rows: "42",
      name: "hello world",
    });
    assert.deepEqual(f.result.tasks.get("up-stream")?.outputs, { rows: "42", name: "hello world" });
    assert.deepEqual(h.storage.getOutputs(f.run.id, "mid"), {});
    const [down] = attempts(h, f.run.id, "down");
    assert.equal(down.stdout, "42|42|hello world|hello world\n", "transitive upstream outputs");
    const [unrelated] = attempts(h, f.run.id, "unrelated");
    assert.equal(unrelated.stdout, "[]\n", "only upstream outputs are exported");
  });
});

Deno.test("templates in command, args, script, environment and working_dir", async () => {
  const yaml = `id: tmpl
config:
  prog: echo
  greeting: hello
  sub: sub/dir
  n: 3
tasks:
  - id: producer
    type: shell
    script: printf '  produced value \\n\\n'
  - id: bad
    type: shell
    script: exit 4
  - id: render
    command: "{{ config.prog }}"
    args: ["{{ config.greeting }}", "[{{ tasks.producer.stdout }}]", "{{ tasks.bad.exit_code }}", "{{ job.id }}", "{{ run.id }}", "{{ config.n }}", "{{.Names}}"]
    depends_on: [producer, bad]
    condition: all_done
  - id: scripted
    type: shell
    working_dir: "{{ config.sub }}"
    environment:
      VAR: "{{ config.greeting }}_{{ tasks.producer.stdout }}_{{ run.id }}"
    script: |
      echo "{{ config.greeting }}-{{ tasks.producer.stdout }}-$VAR"
      pwd
    depends_on: [producer]
  - id: default_dir
    command: pwd
  - id: relative_dir
    command: pwd
    working_dir: sub
`;
  await withScheduler(yaml, async (h) => {
    await Deno.mkdir(join(h.jobsDir, "sub", "dir"), { recursive: true });
    const f = await runJob(h, "tmpl");
    const runId = f.run.id;
    const out = (id: string) => attempts(h, runId, id).at(-1)?.stdout ?? "";
    assert.equal(task(f, "bad").exit_code, 4);
    assert.equal(task(f, "render").status, "completed");
    assert.equal(out("render"), `hello [produced value] 4 tmpl ${runId} 3 {{.Names}}\n`);
    const jobsDir = await Deno.realPath(h.jobsDir);
    assert.equal(
      out("scripted"),
      `hello-produced value-hello_produced value_${runId}\n${join(jobsDir, "sub", "dir")}\n`,
    );
    assert.equal(out("default_dir"), `${jobsDir}\n`);
    assert.equal(out("relative_dir"), `${join(jobsDir, "sub")}\n`);
    assert.equal(f.run.status, "failed", "bad failed");
  });
});

Deno.test({
  name: "type python: script file and inline",
  ignore: !HAS_PYTHON,
  fn: async () => {
    const yaml = `id: job
config:
  word: snake
tasks:
  - id: file
    type: python
    script: |
      import os, sys
      print("file", os.environ["PETIT_TASK_ID"], sys.argv[0].endswith("file.py"), "{{ config.word }}")
      with open(os.environ["PETIT_OUTPUT"], "a") as f:
          f.write("lang=python\\n")
  - id: inline
    type: python
    inline: true
    script: |
      import os, sys
      print("inline", sys.argv[0], os.environ["PETIT_OUT_FILE_LANG"])
    depends_on: [file]
  - id: crash
    type: python
    script: |
      x = 1
      raise SystemExit("boom")
`;
    await withScheduler(yaml, async (h) => {
      const f = await runJob(h);
      const out = (id: string) => attempts(h, f.run.id, id)[0];
      assert.equal(out("file").stdout, "file file True snake\n");
      assert.equal(out("inline").stdout, "inline -c python\n");
      assert.equal(task(f, "crash").status, "failed");
      assert.equal(out("crash").exit_code, 1);
      assert.equal(out("crash").stderr, "boom\n");
    });
  },
});

// ---- cancel and retry of runs ----

Deno.test("cancel: a running run becomes cancelled, pending tasks too, process group gone", async () => {
  const yaml = `id: job
tasks:
  - id: long
    type: shell
    script: sleep 30 & echo $! > pidfile; sleep 30
  - id: after
    command: "true"
    depends_on: [long]
  - id: quick
    command: "true"
`;
  await withScheduler(yaml, async (h) => {
    assert.equal(h.scheduler.cancel("no-such-run"), false);
    const t0 = performance.now();
    const started = h.scheduler.trigger("job");
    const pid = await waitPidFile(join(h.jobsDir, "pidfile"));
    try {
      assert.deepEqual(h.scheduler.activeRunIds(), [started.runId]);
      assert.equal(h.scheduler.cancel(started.runId), true);
      const result = await started.done;
      const elapsed = performance.now() - t0;
      assert.ok(elapsed < 10_000, `cancel took ${elapsed} ms`);
      assert.equal(result.status, "cancelled");
      const f = stored(h, started.runId);
      assert.equal(f.run.status, "cancelled");
      assert.ok(f.run.ended_at !== null);
      assert.equal(task(f, "long").status, "cancelled");
      assert.equal(task(f, "after").status, "cancelled", "a pending task is cancelled");
      assert.equal(task(f, "after").attempts, 0);
      assert.equal(task(f, "quick").status, "completed");
      assert.deepEqual(h.scheduler.activeRunIds(), []);
      assert.ok(await waitPidGone(pid), `grandchild ${pid} survived the cancel`);
    } finally {
      killQuietly(pid);
    }
  });
});

Deno.test("scheduler.retry re-runs failed and skipped tasks and keeps completed ones", async () => {
  const yaml = `id: job
tasks:
  - id: a
    type: shell
    script: |
      echo run >> a.count
      echo "value=from-a" >> "$PETIT_OUTPUT"
      echo "  a says hi  "
  - id: b
    type: shell
    script: echo run >> b.count; test ! -f fail
    depends_on: [a]
  - id: c
    type: shell
    script: echo run >> c.count; echo "$PETIT_OUT_A_VALUE {{ tasks.a.outputs.value }} {{ tasks.a.stdout }}"
    depends_on: [b]
  - id: d
    type: shell
    script: echo run >> d.count
    depends_on: [a]
`;
  await withScheduler(yaml, async (h) => {
    const count = async (id: string) =>
      (await exists(join(h.jobsDir, `${id}.count`)))
        ? (await readLines(join(h.jobsDir, `${id}.count`))).length
        : 0;
    await Deno.writeTextFile(join(h.jobsDir, "fail"), "");
    const first = await runJob(h);
    assert.equal(first.run.status, "failed");
    assert.deepEqual(
      ["a", "b", "c", "d"].map((id) => task(first, id).status),
      ["completed", "failed", "skipped", "completed"],
    );
    assert.throws(() => h.scheduler.retry("no-such-run"), TriggerRefusedError);

    await Deno.remove(join(h.jobsDir, "fail"));
    const again = h.scheduler.retry(first.run.id);
    assert.notEqual(again.runId, first.run.id);
    const result = await again.done;
    assert.equal(result.status, "completed");
    const second = stored(h, again.runId);
    assert.equal(second.run.status, "completed");
    assert.equal(second.run.trigger, "retry");
    assert.equal(second.run.retry_of, first.run.id);
    assert.deepEqual(
      ["a", "b", "c", "d"].map((id) => task(second, id).status),
      ["completed", "completed", "completed", "completed"],
    );
    assert.equal(task(second, "a").attempts, 0, "kept, not executed");
    assert.equal(task(second, "d").attempts, 0, "kept, not executed");
    assert.equal(attempts(h, again.runId, "a").length, 0);
    assert.equal(await count("a"), 1, "a ran once in all");
    assert.equal(await count("d"), 1, "d ran once in all");
    assert.equal(await count("b"), 2, "b ran again, once");
    assert.equal(await count("c"), 1, "c ran in the retry only");
    assert.equal(
      attempts(h, again.runId, "c")[0].stdout,
      "from-a from-a a says hi\n",
      "kept outputs and stdout reach re-run tasks",
    );
    // The original run is unchanged.
    assert.equal(stored(h, first.run.id).run.status, "failed");
  });
});

Deno.test("scheduler.retry refuses a run that is still running", async () => {
  const yaml = `id: job
tasks:
  - id: wait
    type: shell
    script: echo $$ > pidfile; exec sleep 30
`;
  await withScheduler(yaml, async (h) => {
    const started = h.scheduler.trigger("job");
    const pid = await waitPidFile(join(h.jobsDir, "pidfile"));
    try {
      assert.throws(
        () => h.scheduler.retry(started.runId),
        (err: unknown) => err instanceof TriggerRefusedError && err.code === "not_finished",
      );
      h.scheduler.cancel(started.runId);
      assert.equal((await started.done).status, "cancelled");
    } finally {
      killQuietly(pid);
    }
  });
});

Deno.test("cancel while a task waits for its retry: cancelled at once, no further attempt", async () => {
  const yaml = `id: job
tasks:
  - id: flaky
    type: shell
    script: echo run >> count; exit 1
    retry: { max_attempts: 3, delay: 30s }
`;
  await withScheduler(yaml, async (h) => {
    const started = h.scheduler.trigger("job");
    const deadline = Date.now() + 10_000;
    while (!h.events.some((e) => e.type === "task_retrying")) {
      assert.ok(Date.now() < deadline, "the first attempt failed");
      await delay(10);
    }
    const t0 = performance.now();
    assert.equal(h.scheduler.cancel(started.runId), true);
    const result = await started.done;
    assert.ok(performance.now() - t0 < 2000, "no 30 s wait");
    assert.equal(result.status, "cancelled");
    const f = stored(h, started.runId);
    assert.equal(f.run.status, "cancelled");
    assert.equal(task(f, "flaky").status, "cancelled");
    assert.equal(task(f, "flaky").attempts, 1);
    assert.equal(attempts(h, started.runId, "flaky").length, 1);
    assert.equal(attempts(h, started.runId, "flaky")[0].exit_code, 1);
    assert.deepEqual(await readLines(join(h.jobsDir, "count")), ["run"]);
  });
});
