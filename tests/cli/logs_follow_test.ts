/**
 * `pt logs <run> <task> --follow` as a real subprocess, against a real API server on
 * 127.0.0.1 port 0 running real tasks: lines printed live, stdout and stderr apart, the exit
 * code of the task's outcome; and without `--remote`, what the database holds.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Harness, startHarness, waitFor } from "../api/helpers.ts";
import { Pt } from "../scenarios/helpers.ts";

/** The job files; the "talk" task prints its second line once the test creates `talk-go`. */
function jobs(tmp: string): Record<string, string> {
  return {
    talk: `
id: talk
tasks:
  - id: t
    type: shell
    script: 'echo first; echo note >&2; while [ ! -f "${tmp}/talk-go" ]; do sleep 0.05; done; echo second'
`,
    bad: `
id: bad
tasks:
  - id: b
    type: shell
    script: "sleep 0.3; echo partial; echo trouble >&2; exit 4"
`,
    long: `
id: long
tasks:
  - id: l
    type: shell
    script: "echo started; sleep 30"
`,
  };
}

async function trigger(h: Harness, job: string): Promise<string> {
  const r = await h.json<{ run_id: string }>(`/api/jobs/${job}/trigger`, { method: "POST" });
  return r.body.run_id;
}

Deno.test("pt logs --follow --remote: prints lines as they come and exits 0 when the task completed", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "talk");
    const pt = new Pt(["logs", runId, "t", "--follow", "--remote", h.url], h.tmp);
    await waitFor("the first line", () => (pt.stdout.includes("first\n") ? true : undefined), 5000);
    // Printed while the task still sleeps: live, not at its end.
    assert.equal(h.scheduler.liveLogs(runId, "t")?.end ?? null, null);
    assert.doesNotMatch(pt.stdout, /second/);
    await Deno.writeTextFile(`${h.tmp}/talk-go`, "");
    const exit = await pt.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(exit.stdout, "first\nsecond\n");
    assert.equal(exit.stderr, "note\n==> t (attempt 1) completed <==\n");
  } finally {
    await h.close();
  }
});

Deno.test("pt logs --follow --remote: a failed task exits 1; the attempt's end says why", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "bad");
    const exit = await new Pt(["logs", runId, "b", "--follow", "--remote", h.url], h.tmp).exited;
    assert.equal(exit.code, 1, exit.stderr);
    assert.equal(exit.stdout, "partial\n");
    assert.equal(exit.stderr, "trouble\n==> b (attempt 1) failed: exit code 4 <==\n");
    // A finished task is replayed the same way.
    const again = await new Pt(["logs", runId, "b", "-f", "--remote", h.url], h.tmp).exited;
    assert.deepEqual([again.code, again.stdout, again.stderr], [1, exit.stdout, exit.stderr]);
    // Unknown run or task: exit 2, as without --follow.
    const unknown = await new Pt(["logs", "nope", "b", "-f", "--remote", h.url], h.tmp).exited;
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown run id "nope"/);
  } finally {
    await h.close();
  }
});

Deno.test("pt logs --follow without --remote: the stored output, and where the live output is", async () => {
  const h = await startHarness({ jobs });
  try {
    const runId = await trigger(h, "long");
    await waitFor("the task to start", () => h.scheduler.liveLogs(runId, "l") ?? undefined);
    h.storage.flush();
    const exit = await new Pt(["logs", runId, "l", "--follow", "--db", h.dbPath], h.tmp).exited;
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stdout, /^==> l \(attempt 1\) stdout <==\n/);
    assert.match(exit.stderr, /task "l" is running: .*--follow --remote URL/);

    const usage: [string[], RegExp][] = [
      [["logs", runId, "--follow", "--db", h.dbPath], /--follow needs a task id/],
      [["logs", runId, "l", "--remote", h.url], /--remote is for --follow/],
      [["logs", runId, "l", "--follow", "--json", "--remote", h.url], /--json/],
    ];
    for (const [args, message] of usage) {
      const r = await new Pt(args, h.tmp).exited;
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
    }
    await h.json(`/api/runs/${runId}/cancel`, { method: "POST" });
  } finally {
    await h.close();
  }
});
