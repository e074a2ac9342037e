/**
 * Sub-job tasks (`type: job`) end to end: a real scheduler and API server on 127.0.0.1 port 0
 * running real task processes. The child run has trigger `parent` and `parent_run_id`, its
 * run id is the task's `run_id` output; its failure fails the task; cancelling the parent
 * cancels the child (its processes end); the child's `max_concurrency` refuses with the
 * reason. `pt validate` reports a cycle through sub-job tasks.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunDetailView, RunView } from "../../src/core/views.ts";
import { Pt, waitPid } from "../scenarios/helpers.ts";
import { alive, type Harness, startHarness, waitFor } from "./helpers.ts";

type Json = Record<string, unknown>;

function jobs(tmp: string): Record<string, string> {
  return {
    parent: `
id: parent
params:
  day: "2026-03-01"
tasks:
  - id: prepare
    command: echo
    args: [prepared]
  - id: child
    type: job
    job: child
    params:
      day: "{{ params.day }}"
      note: "after {{ tasks.prepare.stdout }}"
    depends_on: [prepare]
  - id: report
    command: echo
    args: ["child run {{ tasks.child.outputs.run_id }}"]
    depends_on: [child]
`,
    child: `
id: child
max_concurrency: 1
params:
  day: {}
  note: ""
  mode: {default: ok, pattern: ok|fail|sleep}
tasks:
  - id: work
    type: shell
    script: |
      echo "child day=$PETIT_PARAM_DAY note={{ params.note }}"
      case "$PETIT_PARAM_MODE" in
        fail) echo "child broke" >&2; exit 5 ;;
        sleep) sleep 30 & echo $! > ${tmp}/grandchild.pid; sleep 30 ;;
      esac
`,
    failing_parent: `
id: failing_parent
tasks:
  - id: child
    type: job
    job: child
    params: {day: x, mode: fail}
`,
    sleeping_parent: `
id: sleeping_parent
tasks:
  - id: child
    type: job
    job: child
    params: {day: x, mode: sleep}
`,
  };
}

async function trigger(h: Harness, jobId: string, body: Json = {}): Promise<string> {
  const r = await h.json<Json>(`/api/jobs/${jobId}/trigger`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.run_id as string;
}

async function finished(h: Harness, runId: string): Promise<RunDetailView> {
  return await waitFor(`run ${runId} to finish`, async () => {
    const r = await h.json<RunDetailView>(`/api/runs/${runId}`);
    return r.body.status === "running" ? undefined : r.body;
  });
}

/** The runs of `jobId` started by a sub-job task of run `parent`. */
async function childrenOf(h: Harness, parent: string): Promise<RunView[]> {
  const r = await h.json<{ runs: RunView[] }>("/api/jobs/child/runs");
  return r.body.runs.filter((run) => run.parent_run_id === parent);
}

async function logOf(h: Harness, runId: string, task: string): Promise<string> {
  const r = await h.json<{ stdout: string }>(`/api/runs/${runId}/tasks/${task}/logs?format=json`);
  return r.body.stdout;
}

Deno.test("job task: runs the child with its params and parent_run_id; run_id is its output", async () => {
  const h = await startHarness({ jobs });
  try {
    const parentId = await trigger(h, "parent", { params: { day: "2026-03-05" } });
    const parent = await finished(h, parentId);
    assert.equal(parent.status, "completed", JSON.stringify(parent));
    const [child] = await childrenOf(h, parentId);
    assert.ok(child, "a child run");
    assert.equal(child.trigger, "parent");
    assert.equal(child.status, "completed");
    assert.deepEqual(child.params, { day: "2026-03-05", note: "after prepared", mode: "ok" });
    assert.equal(await logOf(h, child.id, "work"), "child day=2026-03-05 note=after prepared\n");
    assert.equal(await logOf(h, parentId, "report"), `child run ${child.id}\n`);
    assert.equal(
      await logOf(h, parentId, "child"),
      `run ${child.id} of job child started\nrun ${child.id} completed\n`,
    );
    // The child's start and end come before the parent task's end.
    const childTask = parent.tasks.find((t) => t.task_id === "child")!;
    assert.ok(childTask.ended_at! >= child.ended_at!);
  } finally {
    await h.close();
  }
});

Deno.test("job task: a failed child fails the task and the parent run, with the child's error", async () => {
  const h = await startHarness({ jobs });
  try {
    const parentId = await trigger(h, "failing_parent");
    const parent = await finished(h, parentId);
    assert.equal(parent.status, "failed");
    const [child] = await childrenOf(h, parentId);
    assert.equal(child.status, "failed");
    const task = parent.tasks.find((t) => t.task_id === "child")!;
    assert.equal(
      task.error,
      `child run ${child.id} of job "child" failed: task "work" failed: exit code 5`,
    );
    assert.equal(parent.error, `task "child" failed: ${task.error}`);
  } finally {
    await h.close();
  }
});

Deno.test("job task: cancelling the parent cancels the child and ends its processes", async () => {
  const h = await startHarness({ jobs });
  try {
    const parentId = await trigger(h, "sleeping_parent");
    const pid = await waitPid(`${h.tmp}/grandchild.pid`);
    const [running] = await childrenOf(h, parentId);
    assert.equal(running.status, "running");
    const cancel = await h.json<Json>(`/api/runs/${parentId}/cancel`, { method: "POST" });
    assert.equal(cancel.status, 200);
    const parent = await finished(h, parentId);
    assert.equal(parent.status, "cancelled");
    const child = await finished(h, running.id);
    assert.equal(child.status, "cancelled");
    await waitFor("the child's grandchild to end", () => (alive(pid) ? undefined : true));
  } finally {
    await h.close();
  }
});

Deno.test("job task: the child's max_concurrency refuses it; the task fails with the reason", async () => {
  const h = await startHarness({ jobs });
  try {
    const busy = await trigger(h, "child", { params: { day: "d", mode: "sleep" } });
    const parentId = await trigger(h, "failing_parent");
    const parent = await finished(h, parentId);
    assert.equal(parent.status, "failed");
    assert.equal(
      parent.tasks[0].error,
      'job "child" was not started: job limit reached: 1 of max_concurrency 1 runs active',
    );
    await h.json(`/api/runs/${busy}/cancel`, { method: "POST" });
    await finished(h, busy);
  } finally {
    await h.close();
  }
});

Deno.test("pt validate: a cycle through job tasks and an unknown job are errors", async () => {
  const h = await startHarness({ jobs });
  try {
    const dir = `${h.tmp}/cycle`;
    await Deno.mkdir(dir);
    const jobTask = (id: string, next: string) =>
      `id: ${id}\ntasks:\n  - id: next\n    type: job\n    job: ${next}\n`;
    await Deno.writeTextFile(`${dir}/a.yaml`, jobTask("a", "b"));
    await Deno.writeTextFile(`${dir}/b.yaml`, jobTask("b", "a"));
    await Deno.writeTextFile(`${dir}/c.yaml`, jobTask("c", "nope"));
    const r = await new Pt(["validate", dir], h.tmp).exited;
    assert.equal(r.code, 1, r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(out, /a\.yaml:5:10: job task cycle: a -> b -> a/);
    assert.match(out, /c\.yaml:5:10: task "next" runs unknown job "nope" \(known jobs: a, b, c\)/);
  } finally {
    await h.close();
  }
});
