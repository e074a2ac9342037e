import assert from "node:assert/strict";
import type { NextFiresView } from "../../src/core/views.ts";
import { startHarness } from "./helpers.ts";

const JOBS = () => ({
  quarter: 'id: quarter\nschedule: "*/15 * * * *"\ntasks:\n  - id: a\n    command: "true"\n',
  every: 'id: every\nschedule: "@every 1h"\ntasks:\n  - id: a\n    command: "true"\n',
  manual: 'id: manual\ntasks:\n  - id: a\n    command: "true"\n',
});

Deno.test("GET /api/jobs/{id}/next: the next fire times, 5 by default", async () => {
  const h = await startHarness({ jobs: JOBS });
  try {
    const before = Date.now();
    const five = await h.json<NextFiresView>("/api/jobs/quarter/next");
    assert.equal(five.status, 200);
    assert.equal(five.body.job_id, "quarter");
    assert.equal(five.body.next.length, 5);
    for (const [i, t] of five.body.next.entries()) {
      assert.ok(t > before);
      assert.equal(t % (15 * 60_000), 0);
      if (i > 0) assert.equal(t - five.body.next[i - 1], 15 * 60_000);
    }
    const listed = await h.json<{ next_run: number }>("/api/jobs/quarter");
    assert.equal(five.body.next[0], listed.body.next_run, "the first is the job's next run");

    const two = await h.json<NextFiresView>("/api/jobs/every/next?count=2");
    const every = await h.json<{ next_run: number }>("/api/jobs/every");
    assert.deepEqual(two.body.next, [every.body.next_run, every.body.next_run + 3_600_000]);

    const none = await h.json<NextFiresView>("/api/jobs/manual/next");
    assert.deepEqual(none.body, { job_id: "manual", next: [] });
  } finally {
    await h.close();
  }
});

Deno.test("GET /api/jobs/{id}/next: an unknown job is a 404, a bad count a 400", async () => {
  const h = await startHarness({ jobs: JOBS });
  try {
    assert.equal((await h.json("/api/jobs/nope/next")).status, 404);
    for (const q of ["count=0", "count=101", "count=x", "n=3"]) {
      const r = await h.json(`/api/jobs/quarter/next?${q}`);
      assert.equal(r.status, 400, q);
    }
    assert.equal((await h.json("/api/jobs/quarter/next?count=100")).status, 200);
  } finally {
    await h.close();
  }
});
