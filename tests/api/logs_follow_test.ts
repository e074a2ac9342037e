/**
 * Live logs through the API, with a real server on 127.0.0.1 port 0 and real task
 * processes: the partial log of a running attempt, the follow stream (live, retried, replayed,
 * skipped, truncated), disconnects, the token, and runs of other processes.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunDetailView } from "../../src/core/views.ts";
import { LogEndEventSchema, LogLineEventSchema } from "../../src/core/view_schemas.ts";
import { type Harness, type SseEvent, SseReader, startHarness, waitFor } from "./helpers.ts";
import { readAnswer } from "./shape.ts";
import { scaled } from "../time_scale.ts";

type Json = Record<string, unknown>;

/** Jobs of these tests; `tmp` is where tasks may keep files. */
function jobs(tmp: string): Record<string, string> {
  return {
    // `date +%s%3N`: when the line was printed, in epoch ms (GNU date).
    talk: `
id: talk
tasks:
  - id: t
    type: shell
    script: "echo \\"first $(date +%s%3N)\\"; echo warn >&2; sleep 2; echo second; echo third"
`,
    flaky: `
id: flaky
tasks:
  - id: f
    type: shell
    script: |
      sleep 0.5
      if [ -e ${tmp}/flaky.marker ]; then echo "second try"; exit 0; fi
      touch ${tmp}/flaky.marker
      echo "first try"; echo "it broke" >&2; exit 3
    retry: { max_attempts: 1, delay: 300ms }
`,
    long: `
id: long
tasks:
  - id: l
    type: shell
    script: "echo started; sleep 30"
`,
    chain: `
id: chain
tasks:
  - id: boom
    type: shell
    script: "sleep 0.5; exit 1"
  - id: never
    depends_on: [boom]
    command: echo
    args: [unreachable]
  - id: rescue
    depends_on: [boom]
    condition: on_failure
    command: echo
    args: [rescued]
`,
    // 1,200,000 bytes of 11-byte lines: 1 MiB (1,048,576 bytes) is kept.
    flood: `
id: flood
tasks:
  - id: x
    type: shell
    script: "yes abcdefghij | head -c 1200000"
`,
  };
}

async function trigger(h: Harness, job: string): Promise<string> {
  const r = await h.json<Json>(`/api/jobs/${job}/trigger`, { method: "POST" });
  assert.equal(r.status, 200);
  return String(r.body.run_id);
}

async function finished(h: Harness, runId: string): Promise<RunDetailView> {
  return await waitFor(`run ${runId} to finish`, async () => {
    const r = await h.json<RunDetailView>(`/api/runs/${runId}`);
    return r.body.status === "running" ? undefined : r.body;
  }, 20_000);
}

/** Opens the follow stream of a task; checks its head. */
async function follow(h: Harness, runId: string, task: string, query = ""): Promise<SseReader> {
  const res = await h.fetch(`/api/runs/${runId}/tasks/${task}/logs?follow=true${query}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  return new SseReader(res);
}

/**
 * Every event until the server closes the stream, each checked against its schema; throws
 * after `timeoutMs` in all (scaled, tests/time_scale.ts).
 */
async function rest(reader: SseReader, timeoutMs = 20_000): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const end = Date.now() + scaled(timeoutMs);
  for (;;) {
    try {
      events.push(checked(await reader.nextBy(end)));
    } catch (err) {
      if (String(err).includes("event stream ended")) return events;
      throw err;
    }
  }
}

/** The event, its data parsed with the schema of its kind (`line` or `end`). */
function checked(e: SseEvent): SseEvent {
  if (e.event === "line") LogLineEventSchema.parse(JSON.parse(e.data));
  else if (e.event === "end") LogEndEventSchema.parse(JSON.parse(e.data));
  else throw new Error(`unexpected event ${e.event}`);
  return e;
}

/** `line stdout first`, `end 1 failed`: a compact form of events for comparisons. */
function brief(e: SseEvent): string {
  const d = JSON.parse(e.data);
  return e.event === "line"
    ? `line ${d.attempt} ${d.stream} ${d.line}`
    : `end ${d.attempt} ${d.status} ${d.exit_code} ${d.dropped_bytes}`;
}

Deno.test("logs of a running attempt: its output so far, running: true; false once it ended", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "talk");
    const path = `/api/runs/${runId}/tasks/t/logs`;
    const partial = await waitFor("the first line in the partial log", async () => {
      const r = await h.json<Json>(`${path}?format=json`);
      return r.status === 200 && String(r.body.stdout).startsWith("first ") ? r.body : undefined;
    }, 1500);
    assert.equal(partial.running, true);
    assert.equal(partial.attempt, 1);
    assert.equal(partial.attempts, 1);
    assert.equal(partial.ended_at, null);
    assert.equal(partial.exit_code, null);
    assert.doesNotMatch(String(partial.stdout), /second/);
    const text = await h.fetch(path);
    assert.match(
      String(await readAnswer("GET", path, text)),
      /^==> t \(attempt 1, running\) stdout <==\nfirst \d+\n/,
    );

    await finished(h, runId);
    const done = await h.json<Json>(path, { headers: { accept: "application/json" } });
    assert.equal(done.body.running, false);
    assert.match(String(done.body.stdout), /^first \d+\nsecond\nthird\n$/);
    assert.equal(done.body.stderr, "warn\n");
    assert.equal(done.body.exit_code, 0);
  } finally {
    await h.close();
  }
});

Deno.test("follow: the first line within a second of being printed, the later lines, end, close", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "talk");
    const reader = await follow(h, runId, "t");
    const first = checked(await reader.until((e) => e.event === "line", 5000));
    const received = Date.now();
    const line = JSON.parse(first.data);
    assert.equal(line.stream, "stdout");
    assert.equal(line.attempt, 1);
    const printed = Number(/^first (\d+)$/.exec(line.line)?.[1]);
    assert.ok(
      received - printed < 1000,
      `first line came ${received - printed} ms after it was printed`,
    );
    const events = [first, ...await rest(reader)];
    assert.deepEqual(events.slice(1).map(brief), [
      "line 1 stderr warn",
      "line 1 stdout second",
      "line 1 stdout third",
      "end 1 completed 0 0",
    ]);
    assert.ok(Date.now() - received > 1500, "the later lines came when printed, not at once");
    const run = await finished(h, runId);
    assert.equal(run.status, "completed");
  } finally {
    await h.close();
  }
});

Deno.test("follow: a retried task streams attempt 1, its end, attempt 2, its end; replayed the same once finished", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "flaky");
    const live = (await rest(await follow(h, runId, "f"))).map(brief);
    assert.deepEqual(live, [
      "line 1 stdout first try",
      "line 1 stderr it broke",
      "end 1 failed 3 0",
      "line 2 stdout second try",
      "end 2 completed 0 0",
    ]);
    await finished(h, runId);
    const replay = await rest(await follow(h, runId, "f"));
    assert.deepEqual(replay.map(brief), live);
    assert.equal(JSON.parse(replay[2].data).error, "exit code 3");
    // `attempt` starts the stream at that attempt.
    const second = (await rest(await follow(h, runId, "f", "&attempt=2"))).map(brief);
    assert.deepEqual(second, live.slice(3));
  } finally {
    await h.close();
  }
});

Deno.test("follow: a task not started yet is waited for; a skipped task closes with no event", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "chain");
    // Opened while `boom` still sleeps: both wait for their task.
    const rescue = follow(h, runId, "rescue");
    const never = follow(h, runId, "never");
    assert.deepEqual((await rest(await rescue)).map(brief), [
      "line 1 stdout rescued",
      "end 1 completed 0 0",
    ]);
    assert.deepEqual(await rest(await never), []);
    const run = await finished(h, runId);
    assert.equal(run.tasks.find((t) => t.task_id === "never")?.status, "skipped");
    assert.deepEqual(await rest(await follow(h, runId, "never")), []);
    // The plain logs still say it never started.
    assert.equal((await h.json(`/api/runs/${runId}/tasks/never/logs`)).status, 404);
  } finally {
    await h.close();
  }
});

Deno.test("follow: output past the 1 MiB capture is counted in the end event, not streamed", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "flood");
    const live = await rest(await follow(h, runId, "x"));
    await finished(h, runId);
    const replay = await rest(await follow(h, runId, "x"));
    for (const events of [live, replay]) {
      const lines = events.filter((e) => e.event === "line").map((e) => JSON.parse(e.data).line);
      // 95,325 whole lines and the first byte of the next fill 1,048,576 bytes.
      assert.equal(lines.length, 95_326);
      assert.equal(lines[0], "abcdefghij");
      assert.equal(lines.at(-1), "a");
      assert.deepEqual(JSON.parse(events.at(-1)!.data), {
        attempt: 1,
        status: "completed",
        exit_code: 0,
        error: null,
        dropped_bytes: 1_200_000 - 1_048_576,
      });
    }
    const stored = await h.json<Json>(`/api/runs/${runId}/tasks/x/logs?format=json`);
    assert.equal(stored.body.stdout_truncated, true);
    assert.equal(stored.body.stdout_bytes, 1_200_000);
  } finally {
    await h.close();
  }
});

Deno.test("follow: a client that disconnects is removed from the attempt's listeners", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "long");
    const live = await waitFor("the attempt", () => h.scheduler.liveLogs(runId, "l") ?? undefined);
    const readers = [await follow(h, runId, "l"), await follow(h, runId, "l")];
    for (const r of readers) assert.equal(brief(await r.next()), "line 1 stdout started");
    assert.equal(live.listeners, 2);
    await readers[0].close();
    await waitFor("the listener to go", () => (live.listeners === 1 ? true : undefined));
    await readers[1].close();
    await waitFor("the last listener to go", () => (live.listeners === 0 ? true : undefined));
    await h.json(`/api/runs/${runId}/cancel`, { method: "POST" });
    assert.equal((await finished(h, runId)).status, "cancelled");
    assert.equal(h.scheduler.liveLogs(runId, "l"), null);
  } finally {
    await h.close();
  }
});

Deno.test("follow: the token guards it like any route", async () => {
  const h = await startHarness({ jobs, token: "s3cret" });
  try {
    const runId = await trigger(h, "talk");
    const path = `${h.url}/api/runs/${runId}/tasks/t/logs?follow=true`;
    const denied = await fetch(path);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const reader = await follow(h, runId, "t");
    assert.match(brief(await reader.next()), /^line 1 stdout first/);
    await reader.close();
    await finished(h, runId);
  } finally {
    await h.close();
  }
});

Deno.test("follow: a run executing in another process is a 409; its plain logs say running", async () => {
  const h = await startHarness({ jobs });
  try {
    const now = Date.now();
    h.storage.insertRun({
      id: "elsewhere-1",
      job_id: "talk",
      status: "running",
      trigger: "manual",
      reason: null,
      scheduled_for: null,
      started_at: now,
      ended_at: null,
      duration_ms: null,
      error: null,
      retry_of: null,
      owner: "1:elsewhere",
    });
    h.storage.upsertTaskRun({
      run_id: "elsewhere-1",
      task_id: "t",
      status: "running",
      attempts: 1,
      started_at: now,
      ended_at: null,
      duration_ms: null,
      exit_code: null,
      error: null,
      pgid: null,
      proc_start: null,
    });
    h.storage.upsertAttempt({
      run_id: "elsewhere-1",
      task_id: "t",
      attempt: 1,
      started_at: now,
      ended_at: null,
      exit_code: null,
      error: null,
      stdout: "",
      stderr: "",
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: 0,
      stderr_bytes: 0,
    });
    const refused = await h.json<Json>("/api/runs/elsewhere-1/tasks/t/logs?follow=true");
    assert.equal(refused.status, 409);
    assert.match(String(refused.body.error), /another process/);
    const plain = await h.json<Json>("/api/runs/elsewhere-1/tasks/t/logs?format=json");
    assert.equal(plain.body.running, true);
    assert.equal((await h.json("/api/runs/elsewhere-1/tasks/t/logs?follow=maybe")).status, 400);
  } finally {
    await h.close();
  }
});
