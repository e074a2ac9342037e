import assert from "node:assert/strict";
import type { OpenApiDocument } from "../../src/api/openapi.ts";
import type { RunDetailView, RunView, TaskRunView } from "../../src/core/views.ts";
import type { RunRecord } from "../../src/storage/types.ts";
import { alive, type Harness, startHarness, waitFor } from "./helpers.ts";
import { readAnswer } from "./shape.ts";

type Json = Record<string, unknown>;

async function trigger(h: Harness, jobId: string, body?: Json) {
  return await h.json<Json>(`/api/jobs/${jobId}/trigger`, {
    method: "POST",
    ...(body
      ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
      : {}),
  });
}

async function finished(h: Harness, runId: string): Promise<RunDetailView> {
  return await waitFor(`run ${runId} to finish`, async () => {
    const r = await h.json<RunDetailView>(`/api/runs/${runId}`);
    return r.body.status === "running" ? undefined : r.body;
  });
}

function record(
  id: string,
  jobId: string,
  startedAt: number,
  status: RunRecord["status"],
): RunRecord {
  return {
    id,
    job_id: jobId,
    status,
    trigger: "schedule",
    reason: null,
    scheduled_for: null,
    started_at: startedAt,
    ended_at: startedAt + 10,
    duration_ms: 10,
    error: status === "failed" ? "boom" : null,
    retry_of: null,
  };
}

Deno.test("trigger a job, then read the run, its tasks and their logs", async () => {
  const h = await startHarness();
  try {
    const t = await trigger(h, "quick");
    assert.equal(t.status, 200);
    assert.equal(t.body.job_id, "quick");
    assert.equal(typeof t.body.run_id, "string");
    assert.match(String(t.body.message), /started/);
    const runId = String(t.body.run_id);

    const run = await finished(h, runId);
    assert.equal(run.status, "completed");
    assert.equal(run.trigger, "api");
    assert.equal(run.job_id, "quick");
    assert.ok(run.ended_at! >= run.started_at);
    assert.deepEqual(run.tasks.map((x) => [x.task_id, x.status]), [
      ["first", "completed"],
      ["second", "completed"],
    ]);

    const tasks = await h.json<{ tasks: TaskRunView[]; count: number }>(`/api/runs/${runId}/tasks`);
    assert.equal(tasks.status, 200);
    assert.equal(tasks.body.count, 2);
    assert.deepEqual(Object.keys(tasks.body.tasks[0]).sort(), [
      "attempts",
      "duration_ms",
      "ended_at",
      "error",
      "exit_code",
      "run_id",
      "started_at",
      "status",
      "task_id",
    ]);
    assert.equal(tasks.body.tasks[0].exit_code, 0);
    assert.equal(tasks.body.tasks[0].attempts, 1);

    const logsPath = `/api/runs/${runId}/tasks/first/logs`;
    const text = await h.fetch(logsPath);
    assert.equal(text.status, 200);
    assert.match(text.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(
      await readAnswer("GET", logsPath, text),
      "==> first (attempt 1) stdout <==\nhello-stdout\n" +
        "==> first (attempt 1) stderr <==\nhello-stderr\n",
    );
    for (
      const init of [
        {
          path: `/api/runs/${runId}/tasks/first/logs?format=json`,
          headers: {} as Record<string, string>,
        },
        { path: `/api/runs/${runId}/tasks/first/logs`, headers: { accept: "application/json" } },
        {
          path: `/api/runs/${runId}/tasks/first/logs?attempt=1`,
          headers: { accept: "application/json" },
        },
      ]
    ) {
      const j = await h.json<Json>(init.path, { headers: init.headers });
      assert.equal(j.status, 200);
      assert.equal(j.body.stdout, "hello-stdout\n");
      assert.equal(j.body.stderr, "hello-stderr\n");
      assert.equal(j.body.attempt, 1);
      assert.equal(j.body.attempts, 1);
      assert.equal(j.body.exit_code, 0);
      assert.equal(j.body.stdout_truncated, false);
    }
    const forcedText = await h.fetch(`${logsPath}?format=text`, {
      headers: { accept: "application/json" },
    });
    assert.match(String(await readAnswer("GET", logsPath, forcedText)), /^==> first/);

    const errors: [string, number, string][] = [
      [`/api/runs/nope`, 404, "NOT_FOUND"],
      [`/api/runs/nope/tasks`, 404, "NOT_FOUND"],
      [`/api/runs/nope/tasks/first/logs`, 404, "NOT_FOUND"],
      [`/api/runs/${runId}/tasks/ghost/logs`, 404, "NOT_FOUND"],
      [`/api/runs/${runId}/tasks/first/logs?attempt=2`, 404, "NOT_FOUND"],
      [`/api/runs/${runId}/tasks/first/logs?attempt=0`, 400, "BAD_REQUEST"],
      [`/api/runs/${runId}/tasks/first/logs?format=xml`, 400, "BAD_REQUEST"],
    ];
    for (const [path, status, code] of errors) {
      const r = await h.json(path);
      assert.equal(r.status, status, path);
      assert.equal(r.body.code, code, path);
    }
    const ghost = await h.json(`/api/runs/${runId}/tasks/ghost/logs`);
    assert.match(String(ghost.body.error), /tasks: first, second/);

    // The job detail now shows the run as its last run.
    const detail = await h.json<Json>("/api/jobs/quick");
    assert.equal((detail.body.last_run as RunView).id, runId);
  } finally {
    await h.close();
  }
});

Deno.test("runs of a job: newest first, limit, before and status", async () => {
  const h = await startHarness();
  try {
    const base = 1_700_000_000_000;
    for (let i = 0; i < 120; i++) {
      h.storage.insertRun(
        record(
          `r${String(i).padStart(3, "0")}`,
          "quick",
          base + i * 1000,
          i % 3 === 0 ? "failed" : "completed",
        ),
      );
    }
    h.storage.insertRun(record("other", "failing", base + 500, "failed"));
    h.storage.flush();

    const page1 = await h.json<{ runs: RunView[]; count: number }>("/api/jobs/quick/runs");
    assert.equal(page1.status, 200);
    assert.equal(page1.body.count, 50);
    assert.equal(page1.body.runs[0].id, "r119");
    assert.equal(page1.body.runs[49].id, "r070");
    assert.deepEqual(Object.keys(page1.body.runs[0]).sort(), [
      "duration_ms",
      "ended_at",
      "error",
      "id",
      "job_id",
      "params",
      "parent_run_id",
      "reason",
      "retry_of",
      "scheduled_for",
      "started_at",
      "status",
      "trigger",
    ]);
    const page2 = await h.json<{ runs: RunView[]; count: number }>(
      `/api/jobs/quick/runs?before=${page1.body.runs[49].started_at}&limit=60`,
    );
    assert.equal(page2.body.count, 60);
    assert.equal(page2.body.runs[0].id, "r069");
    assert.equal(page2.body.runs[59].id, "r010");
    const page3 = await h.json<{ runs: RunView[]; count: number }>(
      `/api/jobs/quick/runs?before=${page2.body.runs[59].started_at}&limit=1000`,
    );
    assert.deepEqual(page3.body.runs.map((r) => r.id), [
      "r009",
      "r008",
      "r007",
      "r006",
      "r005",
      "r004",
      "r003",
      "r002",
      "r001",
      "r000",
    ]);

    const failed = await h.json<{ runs: RunView[]; count: number }>(
      "/api/jobs/quick/runs?status=failed&limit=1000",
    );
    assert.equal(failed.body.count, 40);
    assert.ok(failed.body.runs.every((r) => r.status === "failed" && r.job_id === "quick"));
    const one = await h.json<{ runs: RunView[]; count: number }>(
      "/api/jobs/quick/runs?status=failed&limit=1&before=" + (base + 100_000),
    );
    assert.deepEqual(one.body.runs.map((r) => r.id), ["r099"]);

    // Across jobs.
    const all = await h.json<{ runs: RunView[]; count: number }>(
      "/api/runs?status=failed&limit=1000",
    );
    assert.equal(all.body.count, 41);
    const ofJob = await h.json<{ runs: RunView[]; count: number }>("/api/runs?job_id=failing");
    assert.deepEqual(ofJob.body.runs.map((r) => r.id), ["other"]);

    // A loaded job with no runs is an empty list; an unknown job with no runs a 404.
    assert.deepEqual((await h.json("/api/jobs/slow/runs")).body, {
      runs: [],
      count: 0,
      next_cursor: null,
    });
    const nope = await h.json("/api/jobs/nope/runs");
    assert.equal(nope.status, 404);
    assert.equal(nope.body.code, "NOT_FOUND");
    // A job no longer in the files keeps its history.
    h.storage.insertRun(record("gone1", "removed-job", base, "completed"));
    const gone = await h.json<{ runs: RunView[] }>("/api/jobs/removed-job/runs");
    assert.equal(gone.status, 200);
    assert.deepEqual(gone.body.runs.map((r) => r.id), ["gone1"]);
  } finally {
    await h.close();
  }
});

type RunList = { runs: RunView[]; count: number; next_cursor: string | null };

/** Follows next_cursor from `path` (which has a query string) to the last page. */
async function allPages(h: Harness, path: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  for (let cursor: string | null = null;;) {
    const url: string = cursor === null ? path : `${path}&cursor=${cursor}`;
    const page = await h.json<RunList>(url);
    assert.equal(page.status, 200, `${url}: ${JSON.stringify(page.body)}`);
    assert.deepEqual(Object.keys(page.body), ["runs", "count", "next_cursor"]);
    assert.equal(page.body.count, page.body.runs.length);
    assert.ok(page.body.count > 0, `${url}: an empty page`);
    ids.push(...page.body.runs.map((r) => r.id));
    pages++;
    assert.ok(pages <= 100, `${path}: the pages never end`);
    cursor = page.body.next_cursor;
    if (cursor === null) return { ids, pages };
  }
}

Deno.test("run lists page with cursor through 40 runs that started together", async () => {
  const h = await startHarness();
  try {
    // 40 parallel triggers in one millisecond, runs before and after, another job's too.
    const at = 1_700_000_000_000;
    const ties = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    for (const id of ties) h.storage.insertRun(record(id, "quick", at, "completed"));
    h.storage.insertRun(record("newer", "quick", at + 1000, "failed"));
    h.storage.insertRun(record("older", "quick", at - 1000, "failed"));
    h.storage.insertRun(record("zz-other", "failing", at, "failed"));
    h.storage.updateRun("t07", { status: "failed" });
    h.storage.flush();
    const quick = ["newer", ...[...ties].reverse(), "older"];

    // The old way loses the ties that did not fit on the first page.
    const first = await h.json<RunList>("/api/jobs/quick/runs?limit=7");
    assert.equal(first.body.count, 7);
    assert.equal(typeof first.body.next_cursor, "string");
    const byBefore = await h.json<RunList>(
      `/api/jobs/quick/runs?limit=7&before=${first.body.runs[6].started_at}`,
    );
    assert.deepEqual(byBefore.body.runs.map((r) => r.id), ["older"]);

    // With the cursor: every run once, in order, and the last page says it is the last.
    assert.deepEqual(await allPages(h, "/api/jobs/quick/runs?limit=7"), { ids: quick, pages: 6 });
    assert.deepEqual(await allPages(h, "/api/jobs/quick/runs?limit=5"), { ids: quick, pages: 9 });
    assert.deepEqual(await allPages(h, "/api/runs?job_id=quick&limit=7"), {
      ids: quick,
      pages: 6,
    });
    const everything = ["newer", "zz-other", ...[...ties].reverse(), "older"];
    assert.deepEqual(await allPages(h, "/api/runs?limit=6"), { ids: everything, pages: 8 });
    assert.deepEqual(await allPages(h, "/api/runs?status=failed&limit=2"), {
      ids: ["newer", "zz-other", "t07", "older"],
      pages: 2,
    });
    // Cursor and before together: both apply.
    const both = await h.json<RunList>(
      `/api/jobs/quick/runs?limit=100&before=${at}&cursor=${first.body.next_cursor}`,
    );
    assert.deepEqual(both.body.runs.map((r) => r.id), ["older"]);
    assert.equal(both.body.next_cursor, null);

    // A cursor the server did not make is a 400 that says what is wrong.
    const bad: [string, RegExp][] = [
      ["not a cursor!", /^query parameter cursor: not base64url text \(pass next_cursor/],
      [btoa("[1]"), /^query parameter cursor: not a run position/],
      ["", /^query parameter cursor: empty/],
    ];
    for (const [cursor, message] of bad) {
      for (const path of ["/api/jobs/quick/runs", "/api/runs"]) {
        const r = await h.json(`${path}?cursor=${encodeURIComponent(cursor)}`);
        assert.equal(r.status, 400, `${path} ${cursor}`);
        assert.equal(r.body.code, "BAD_REQUEST");
        assert.match(String(r.body.error), message);
      }
    }

    // The OpenAPI document describes both.
    const doc = await h.json<OpenApiDocument>("/api/openapi.json");
    for (const path of ["/api/jobs/{id}/runs", "/api/runs"]) {
      const names = doc.body.paths[path].get!.parameters!.map((p) => p.name);
      assert.ok(names.includes("cursor") && names.includes("before"), path);
    }
    const list = doc.body.components.schemas.RunList as {
      required: string[];
      properties: Record<string, { type: unknown }>;
    };
    assert.deepEqual(list.required, ["runs", "count", "next_cursor"]);
    assert.deepEqual(list.properties.next_cursor.type, ["string", "null"]);
  } finally {
    await h.close();
  }
});

Deno.test("trigger refusals: 404 unknown, 409 dependency (unless forced), 429 limit", async () => {
  const h = await startHarness();
  try {
    const unknown = await trigger(h, "nope");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "NOT_FOUND");

    const dep = await trigger(h, "dependent");
    assert.equal(dep.status, 409);
    assert.equal(dep.body.code, "CONFLICT");
    assert.match(String(dep.body.error), /upstream/);
    const forced = await trigger(h, "dependent", { force: true });
    assert.equal(forced.status, 200);
    assert.equal((await finished(h, String(forced.body.run_id))).status, "completed");

    const first = await trigger(h, "slow");
    assert.equal(first.status, 200);
    const second = await trigger(h, "slow");
    assert.equal(second.status, 429);
    assert.equal(second.body.code, "TOO_MANY_REQUESTS");
    assert.match(String(second.body.error), /max_concurrency 1/);
    // Force never overrides a limit.
    assert.equal((await trigger(h, "slow", { force: true })).status, 429);
    assert.equal(
      (await h.json(`/api/runs/${first.body.run_id}/cancel`, { method: "POST" })).status,
      200,
    );
    assert.equal((await finished(h, String(first.body.run_id))).status, "cancelled");
  } finally {
    await h.close();
  }
});

Deno.test("the global --max-jobs limit refuses with 429", async () => {
  const h = await startHarness({ maxJobs: 1 });
  try {
    const slow = await trigger(h, "slow");
    assert.equal(slow.status, 200);
    const quick = await trigger(h, "quick");
    assert.equal(quick.status, 429);
    assert.match(String(quick.body.error), /max_jobs 1/);
    await h.json(`/api/runs/${slow.body.run_id}/cancel`, { method: "POST" });
    await finished(h, String(slow.body.run_id));
  } finally {
    await h.close();
  }
});

Deno.test("cancel stops a running run and its whole process group", async () => {
  const h = await startHarness();
  try {
    const t = await trigger(h, "slow");
    const runId = String(t.body.run_id);
    const pgid = await waitFor("the task's process group", () => {
      const task = h.storage.listTaskRuns(runId)[0];
      return task?.status === "running" && task.pgid !== null ? task.pgid : undefined;
    });
    const grandchild = await waitFor("the grandchild's pid", async () => {
      try {
        const text = (await Deno.readTextFile(`${h.tmp}/grandchild.pid`)).trim();
        return text ? Number(text) : undefined;
      } catch {
        return undefined;
      }
    });
    assert.ok(alive(-pgid));
    assert.ok(alive(grandchild));

    const cancel = await h.json(`/api/runs/${runId}/cancel`, { method: "POST" });
    assert.equal(cancel.status, 200);
    assert.deepEqual(cancel.body, { run_id: runId, cancelled: true });
    const run = await finished(h, runId);
    assert.equal(run.status, "cancelled");
    assert.equal(run.tasks[0].status, "cancelled");
    await waitFor("the process group to be gone", () => (alive(-pgid) ? undefined : true), 5000);
    assert.equal(alive(grandchild), false);

    const again = await h.json(`/api/runs/${runId}/cancel`, { method: "POST" });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "CONFLICT");
    assert.match(String(again.body.error), /already finished \(cancelled\)/);
    const unknown = await h.json(`/api/runs/nope/cancel`, { method: "POST" });
    assert.equal(unknown.status, 404);

    // A run recorded as running by another process cannot be cancelled from here.
    h.storage.insertRun(record("elsewhere", "slow", Date.now(), "running"));
    const other = await h.json(`/api/runs/elsewhere/cancel`, { method: "POST" });
    assert.equal(other.status, 409);
    assert.match(String(other.body.error), /not running in this process/);
    h.storage.updateRun("elsewhere", { status: "interrupted" });
  } finally {
    await h.close();
  }
});

Deno.test("retry re-runs a failed run; a running run cannot be retried", async () => {
  const h = await startHarness();
  try {
    const t = await trigger(h, "failing");
    const failedRun = await finished(h, String(t.body.run_id));
    assert.equal(failedRun.status, "failed");
    assert.equal(failedRun.tasks.find((x) => x.task_id === "boom")?.exit_code, 3);

    const r = await h.json<Json>(`/api/runs/${failedRun.id}/retry`, { method: "POST" });
    assert.equal(r.status, 200);
    assert.equal(r.body.retry_of, failedRun.id);
    assert.equal(r.body.job_id, "failing");
    assert.notEqual(r.body.run_id, failedRun.id);
    const retried = await finished(h, String(r.body.run_id));
    assert.equal(retried.trigger, "retry");
    assert.equal(retried.retry_of, failedRun.id);

    const missing = await h.json(`/api/runs/nope/retry`, { method: "POST" });
    assert.equal(missing.status, 404);

    const slow = await trigger(h, "slow");
    const busy = await h.json(`/api/runs/${slow.body.run_id}/retry`, { method: "POST" });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.code, "CONFLICT");
    await h.json(`/api/runs/${slow.body.run_id}/cancel`, { method: "POST" });
    await finished(h, String(slow.body.run_id));
  } finally {
    await h.close();
  }
});
