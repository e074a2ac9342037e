/**
 * `env_file` and `secrets` end to end: a real scheduler and API server on 127.0.0.1 port 0
 * running real task processes over a real SQLite file, and `pt logs` / `pt show` as
 * subprocesses. Env files layer as documented and a missing one fails the run or the task
 * naming its path; secret values are `***` in the stored logs, the API's logs (also while
 * the task runs, in the followed stream, when a value is printed in two writes), the events,
 * and task errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunDetailView } from "../../src/core/views.ts";
import { Pt } from "../scenarios/helpers.ts";
import { type Harness, SseReader, startHarness, waitFor } from "./helpers.ts";

type Json = Record<string, unknown>;

const SECRET = "tok-SECRET-42";
const PASSWORD = "pw-hunter2";

function jobs(tmp: string): Record<string, string> {
  return {
    layers: `
id: layers
env_file: ${tmp}/job.env
environment: {B: job-environment, C: job-environment, D: job-environment}
tasks:
  - id: show
    type: shell
    env_file: ${tmp}/task.env
    environment: {D: task-environment}
    script: 'echo "A=$A B=$B C=$C D=$D"'
`,
    no_job_file: `
id: no_job_file
env_file: ${tmp}/missing.env
tasks:
  - id: t
    command: "true"
`,
    no_task_file: `
id: no_task_file
tasks:
  - id: t
    command: "true"
    env_file: missing-task.env
  - id: after
    command: "true"
    depends_on: [t]
`,
    leaky: `
id: leaky
env_file: ${tmp}/secret.env
secrets: [API_TOKEN, DB_PASSWORD, EMPTY_ONE]
tasks:
  - id: talk
    type: shell
    script: |
      echo "token=$API_TOKEN"
      printf 'split=tok-'; sleep 0.5; printf 'SECRET-42 and pw-'; sleep 0.3; echo 'hunter2!'
      echo "password $DB_PASSWORD" >&2
      echo "key=$API_TOKEN" >> "$PETIT_OUTPUT"
      exit 3
`,
    passer: `
id: passer
env_file: ${tmp}/secret.env
secrets: [API_TOKEN]
tasks:
  - id: token
    type: shell
    script: 'echo "tok=$API_TOKEN" >> "$PETIT_OUTPUT"'
  - id: child
    type: job
    job: picky
    params: {code: "{{ tasks.token.outputs.tok }}"}
    depends_on: [token]
`,
    picky: `
id: picky
params:
  code: {pattern: "[0-9]+"}
tasks:
  - id: t
    command: "true"
`,
  };
}

async function writeEnvFiles(tmp: string): Promise<void> {
  await Deno.writeTextFile(`${tmp}/job.env`, "A=job-env-file\nB=job-env-file\nC=job-env-file\n");
  await Deno.writeTextFile(
    `${tmp}/task.env`,
    "# task\nexport C=task-env-file\nD='task-env-file'\n",
  );
  await Deno.writeTextFile(
    `${tmp}/secret.env`,
    `API_TOKEN="${SECRET}"\nDB_PASSWORD=${PASSWORD}\nEMPTY_ONE=\n`,
  );
}

async function trigger(h: Harness, jobId: string): Promise<string> {
  const r = await h.json<Json>(`/api/jobs/${jobId}/trigger`, { method: "POST" });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.run_id as string;
}

async function finished(h: Harness, runId: string): Promise<RunDetailView> {
  return await waitFor(`run ${runId} to finish`, async () => {
    const r = await h.json<RunDetailView>(`/api/runs/${runId}`);
    return r.body.status === "running" ? undefined : r.body;
  });
}

Deno.test("env_file: job file < job environment < task file < task environment", async () => {
  const h = await startHarness({ jobs });
  try {
    await writeEnvFiles(h.tmp);
    const runId = await trigger(h, "layers");
    assert.equal((await finished(h, runId)).status, "completed");
    const logs = await h.json<Json>(`/api/runs/${runId}/tasks/show/logs?format=json`);
    assert.equal(
      logs.body.stdout,
      "A=job-env-file B=job-environment C=task-env-file D=task-environment\n",
    );
  } finally {
    await h.close();
  }
});

Deno.test("env_file: a missing file fails the run (job) or the task, naming the path", async () => {
  const h = await startHarness({ jobs });
  try {
    const jobRun = await finished(h, await trigger(h, "no_job_file"));
    assert.equal(jobRun.status, "failed");
    assert.equal(jobRun.error, `cannot read env_file ${h.tmp}/missing.env: no such file`);
    assert.deepEqual(jobRun.tasks.map((t) => [t.status, t.error]), [
      ["skipped", `the run failed: cannot read env_file ${h.tmp}/missing.env: no such file`],
    ]);

    const taskRun = await finished(h, await trigger(h, "no_task_file"));
    assert.equal(taskRun.status, "failed");
    // Relative to the job file's folder.
    const path = `${h.dir}/missing-task.env`;
    assert.deepEqual(taskRun.tasks.map((t) => [t.task_id, t.status, t.error]), [
      ["t", "failed", `cannot read env_file ${path}: no such file`],
      ["after", "skipped", 'dependency "t" failed (condition all_success)'],
    ]);
    assert.equal(taskRun.error, `task "t" failed: cannot read env_file ${path}: no such file`);
  } finally {
    await h.close();
  }
});

Deno.test("secrets: masked in the followed live stream, the logs, the events and pt logs", async () => {
  const h = await startHarness({ jobs });
  try {
    await writeEnvFiles(h.tmp);
    const runId = await trigger(h, "leaky");
    // Live: followed while the task runs, the value printed in two writes.
    const res = await h.fetch(`/api/runs/${runId}/tasks/talk/logs?follow=true`);
    assert.equal(res.status, 200);
    const stream = new SseReader(res);
    const lines: string[] = [];
    try {
      for (;;) {
        const e = await stream.next(15_000);
        if (e.event === "end") break;
        if (e.event === "line") lines.push(JSON.parse(e.data).line);
        // Read while it ran: the split line came live, from the capture.
        if (lines.length === 1) assert.equal(h.scheduler.liveLogs(runId, "talk")?.end, null);
      }
    } finally {
      await stream.close();
    }
    assert.deepEqual(lines, [
      "token=***",
      "split=*** and ***!",
      "password ***",
    ]);

    const run = await finished(h, runId);
    assert.equal(run.status, "failed");
    // Stored logs, through the API (JSON and text).
    const json = await h.json<Json>(`/api/runs/${runId}/tasks/talk/logs?format=json`);
    assert.equal(json.body.stdout, "token=***\nsplit=*** and ***!\n");
    assert.equal(json.body.stderr, "password ***\n");
    const text = await (await h.fetch(`/api/runs/${runId}/tasks/talk/logs`)).text();
    assert.match(text, /token=\*\*\*/);

    // Events, replayed from the store: the failure's stderr tail too.
    const events = await h.fetch("/api/events?last_event_id=0");
    const reader = new SseReader(events);
    try {
      const failed = await reader.until((e) => e.event === "task_failed");
      assert.equal(JSON.parse(failed.data).stderr_tail, "password ***");
    } finally {
      await reader.close();
    }
    h.storage.flush();
    const stored = JSON.stringify(h.storage.eventsAfter(0));
    assert.ok(stored.includes("password ***"), stored);

    // The CLI over the same database.
    const logs = await new Pt(["logs", runId, "--db", h.dbPath], h.tmp).exited;
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /token=\*\*\*/);
    const shown = await new Pt(["show", runId, "--db", h.dbPath, "--json"], h.tmp).exited;
    for (const out of [json.body, text, stored, logs.stdout, shown.stdout, JSON.stringify(run)]) {
      const body = typeof out === "string" ? out : JSON.stringify(out);
      assert.ok(!body.includes(SECRET) && !body.includes(PASSWORD), body);
    }
  } finally {
    await h.close();
  }
});

Deno.test("secrets: masked in task error messages (a child refused over its value)", async () => {
  const h = await startHarness({ jobs });
  try {
    await writeEnvFiles(h.tmp);
    const run = await finished(h, await trigger(h, "passer"));
    assert.equal(run.status, "failed");
    const task = run.tasks.find((t) => t.task_id === "child")!;
    assert.equal(
      task.error,
      'job "picky" was not started: param "code" of job "picky" must match the pattern ' +
        '[0-9]+, got "***"',
    );
    assert.ok(!JSON.stringify(run).includes(SECRET));
    h.storage.flush();
    assert.ok(!JSON.stringify(h.storage.eventsAfter(0)).includes(SECRET));
  } finally {
    await h.close();
  }
});
