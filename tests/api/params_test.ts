/**
 * Params at trigger time, end to end through the HTTP API (a real server on 127.0.0.1 port 0,
 * real task processes, a real SQLite file) and `pt trigger --remote` as a subprocess: values
 * reach templates and `PETIT_PARAM_*`, the run view records them, a retry reuses them, and a
 * bad param is a 400 `BAD_REQUEST` (exit 2) that names it.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { JobDetailView, RunDetailView } from "../../src/core/views.ts";
import { Pt } from "../scenarios/helpers.ts";
import { type Harness, startHarness, waitFor } from "./helpers.ts";

type Json = Record<string, unknown>;

function jobs(tmp: string): Record<string, string> {
  return {
    load: `
id: load
params:
  day:
    description: the day to load
    pattern: "\\\\d{4}-\\\\d{2}-\\\\d{2}"
  mode: {default: full, pattern: full|quick}
tasks:
  - id: show
    type: shell
    script: |
      echo "template day={{ params.day }} mode={{ params.mode }}"
      echo "env day=$PETIT_PARAM_DAY mode=$PETIT_PARAM_MODE"
      test ! -e ${tmp}/fail
`,
    plain: `
id: plain
tasks:
  - id: t
    command: "true"
`,
  };
}

async function trigger(h: Harness, jobId: string, body: Json) {
  return await h.json<Json>(`/api/jobs/${jobId}/trigger`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

async function finished(h: Harness, runId: string): Promise<RunDetailView> {
  return await waitFor(`run ${runId} to finish`, async () => {
    const r = await h.json<RunDetailView>(`/api/runs/${runId}`);
    return r.body.status === "running" ? undefined : r.body;
  });
}

async function stdoutOf(h: Harness, runId: string): Promise<string> {
  const r = await h.json<{ stdout: string }>(`/api/runs/${runId}/tasks/show/logs?format=json`);
  return r.body.stdout;
}

Deno.test("API trigger with params: templates and PETIT_PARAM_*, the run's params, defaults", async () => {
  const h = await startHarness({ jobs });
  try {
    const t = await trigger(h, "load", { params: { day: "2026-03-01" } });
    assert.equal(t.status, 200);
    const run = await finished(h, t.body.run_id as string);
    assert.equal(run.status, "completed");
    assert.deepEqual(run.params, { day: "2026-03-01", mode: "full" });
    assert.equal(run.parent_run_id, null);
    assert.equal(
      await stdoutOf(h, run.id),
      "template day=2026-03-01 mode=full\nenv day=2026-03-01 mode=full\n",
    );
    // Listed runs carry them too; a job without params has {}.
    const listed = await h.json<{ runs: RunDetailView[] }>("/api/jobs/load/runs");
    assert.deepEqual(listed.body.runs[0].params, { day: "2026-03-01", mode: "full" });
    const plain = await trigger(h, "plain", {});
    assert.deepEqual((await finished(h, plain.body.run_id as string)).params, {});
    // The job's params are served with the job.
    const job = await h.json<JobDetailView>("/api/jobs/load");
    assert.deepEqual(job.body.params, [
      {
        name: "day",
        default: null,
        description: "the day to load",
        pattern: "\\d{4}-\\d{2}-\\d{2}",
      },
      { name: "mode", default: "full", description: null, pattern: "full|quick" },
    ]);
  } finally {
    await h.close();
  }
});

Deno.test("API trigger with bad params: 400 BAD_REQUEST naming the param, and no run", async () => {
  const h = await startHarness({ jobs });
  try {
    const cases: [Json, RegExp][] = [
      [
        { params: { day: "2026-03-01", dya: "x" } },
        /job "load" has no param "dya" \(known params: day, mode\)/,
      ],
      [{}, /job "load" needs a value for param "day" \(the day to load\)/],
      [{ params: { day: "yesterday" } }, /param "day" of job "load" must match the pattern/],
      [
        { params: { day: "2026-03-01", mode: "full!" } },
        /param "mode" .* must match the pattern full\|quick/,
      ],
      [{ params: { x: "1" } }, /job "plain" has no param "x" \(the job takes no params\)/],
    ];
    for (const [i, [body, message]] of cases.entries()) {
      const r = await trigger(h, i === cases.length - 1 ? "plain" : "load", body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, "BAD_REQUEST");
      assert.match(r.body.error as string, message);
    }
    // Values must be strings: the body's shape is checked first.
    const typed = await trigger(h, "load", { params: { day: 20260301 } });
    assert.equal(typed.status, 400);
    assert.equal(h.storage.listRuns({}).length, 0);
  } finally {
    await h.close();
  }
});

Deno.test("API retry of a run reuses its params", async () => {
  const h = await startHarness({ jobs });
  try {
    const t = await trigger(h, "load", { params: { day: "2026-03-02", mode: "quick" } });
    const first = await finished(h, t.body.run_id as string);
    const retried = await h.json<Json>(`/api/runs/${first.id}/retry`, { method: "POST" });
    assert.equal(retried.status, 200);
    const second = await finished(h, retried.body.run_id as string);
    assert.equal(second.trigger, "retry");
    assert.deepEqual(second.params, { day: "2026-03-02", mode: "quick" });
    // A failed task runs again, with them (a completed one would be kept).
    await Deno.writeTextFile(`${h.tmp}/fail`, "");
    const failing = await trigger(h, "load", { params: { day: "2026-03-03", mode: "quick" } });
    assert.equal((await finished(h, failing.body.run_id as string)).status, "failed");
    await Deno.remove(`${h.tmp}/fail`);
    const again = await h.json<Json>(`/api/runs/${failing.body.run_id}/retry`, { method: "POST" });
    const rerun = await finished(h, again.body.run_id as string);
    assert.equal(rerun.status, "completed");
    assert.deepEqual(rerun.params, { day: "2026-03-03", mode: "quick" });
    assert.match(await stdoutOf(h, rerun.id), /env day=2026-03-03 mode=quick/);
  } finally {
    await h.close();
  }
});

Deno.test("pt trigger --remote -p: params sent to the API; a bad one exits 2 naming it", async () => {
  const h = await startHarness({ jobs });
  try {
    const ok = await new Pt(
      [
        "trigger",
        "unused",
        "load",
        "--remote",
        h.url,
        "-p",
        "day=2026-03-04",
        "-p",
        "mode=quick",
        "--wait",
      ],
      h.tmp,
    ).exited;
    assert.equal(ok.code, 0, ok.stderr);
    const runId = ok.stdout.match(/^run (\S+) of job load started/m)?.[1];
    assert.ok(runId, ok.stdout);
    assert.deepEqual((await finished(h, runId)).params, { day: "2026-03-04", mode: "quick" });
    assert.match(await stdoutOf(h, runId), /env day=2026-03-04 mode=quick/);

    const bad = await new Pt(
      ["trigger", "unused", "load", "--remote", h.url, "-p", "day=soon"],
      h.tmp,
    ).exited;
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /param "day" of job "load" must match the pattern/);
    const malformed = await new Pt(
      ["trigger", "unused", "load", "--remote", h.url, "-p", "day"],
      h.tmp,
    )
      .exited;
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /-p must be NAME=VALUE, got "day"/);
  } finally {
    await h.close();
  }
});
