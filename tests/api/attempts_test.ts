import assert from "node:assert/strict";
import type { AttemptListView, StartedRunView } from "../../src/core/views.ts";
import { startHarness, waitFor } from "./helpers.ts";

const JOBS = (tmp: string) => ({
  retried: `
id: retried
tasks:
  - id: flaky
    type: shell
    script: 'if [ -f "${tmp}/once" ]; then echo ok; else touch "${tmp}/once"; exit 3; fi'
    retry: { max_attempts: 1 }
  - id: after
    depends_on: [flaky]
    command: "true"
`,
});

Deno.test("GET /api/runs/{id}/attempts: every attempt, without output, oldest first", async () => {
  const h = await startHarness({ jobs: JOBS });
  try {
    const started = await h.json<StartedRunView>("/api/jobs/retried/trigger", { method: "POST" });
    const runId = started.body.run_id;
    await waitFor("the run to end", async () => {
      const run = await h.json<{ status: string }>(`/api/runs/${runId}`);
      return run.body.status === "running" ? undefined : run.body.status;
    });
    const list = await h.json<AttemptListView>(`/api/runs/${runId}/attempts`);
    assert.equal(list.status, 200);
    assert.equal(list.body.count, 3);
    assert.deepEqual(
      list.body.attempts.map((a) => [a.task_id, a.attempt, a.exit_code]),
      [["flaky", 1, 3], ["flaky", 2, 0], ["after", 1, 0]],
    );
    for (const a of list.body.attempts) {
      assert.equal(a.run_id, runId);
      assert.ok(a.ended_at !== null && a.ended_at >= a.started_at);
      assert.equal("stdout" in a, false);
    }
    assert.equal(list.body.attempts[1].stdout_bytes, 3);
    assert.equal((await h.json("/api/runs/nope/attempts")).status, 404);
  } finally {
    await h.close();
  }
});
