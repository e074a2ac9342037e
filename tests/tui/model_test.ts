import assert from "node:assert/strict";
import type { RunDetailView, RunView } from "../../src/core/views.ts";
import {
  handleKey,
  initialModel,
  type JobRow,
  type Model,
  withJobs,
  withRuns,
} from "../../src/tui/model.ts";

const PAGE = 10;

function run(id: string, status: RunView["status"] = "completed"): RunView {
  return {
    id,
    job_id: "backup",
    status,
    trigger: "schedule",
    started_at: 1_000,
    ended_at: null,
    duration_ms: null,
    error: null,
    reason: null,
    scheduled_for: null,
    retry_of: null,
    params: {},
    parent_run_id: null,
  };
}

function detail(id: string, tasks: string[]): RunDetailView {
  return {
    ...run(id, "running"),
    tasks: tasks.map((task_id) => ({
      task_id,
      run_id: id,
      status: "running",
      attempts: 1,
      started_at: 1_000,
      ended_at: null,
      duration_ms: null,
      exit_code: null,
      error: null,
    })),
  };
}

const jobs: JobRow[] = ["a", "backup", "c"].map((id) => ({ id, job: null, last_run: null }));
const remote = (): Model => ({ ...initialModel("remote", "http://x"), jobs });

/** Presses `keys` from `model`; returns the model and the last effect's type. */
function press(model: Model, ...keys: string[]): [Model, string] {
  let effect = "none";
  for (const key of keys) {
    const [next, e] = handleKey(model, key, PAGE);
    model = next;
    effect = e.type;
  }
  return [model, effect];
}

Deno.test("handleKey(): arrows and j/k move within the list, g/G to its ends", () => {
  let [m] = press(remote(), "down", "j");
  assert.equal(m.jobIndex, 2);
  [m] = press(m, "j");
  assert.equal(m.jobIndex, 2);
  [m] = press(m, "k", "up", "up");
  assert.equal(m.jobIndex, 0);
  [m] = press(m, "G");
  assert.equal(m.jobIndex, 2);
  [m] = press(m, "g");
  assert.equal(m.jobIndex, 0);
});

Deno.test("handleKey(): Enter opens a job's runs and a run's tasks; Esc goes back", () => {
  let [m, effect] = press(remote(), "j", "enter");
  assert.equal(m.view, "runs");
  assert.equal(m.jobId, "backup");
  assert.equal(effect, "loadRuns");
  m = withRuns(m, [run("r2"), run("r1")]);
  [m, effect] = press(m, "j", "enter");
  assert.equal(m.view, "tasks");
  assert.equal(m.runId, "r1");
  assert.equal(effect, "loadRun");
  [m, effect] = press(m, "escape");
  assert.equal(m.view, "runs");
  assert.equal(effect, "loadRuns");
  [m, effect] = press(m, "escape");
  assert.equal(m.view, "jobs");
  assert.equal(effect, "loadJobs");
});

Deno.test("handleKey(): l opens the logs of the selected task, or of a run's task", () => {
  let m: Model = { ...remote(), view: "tasks", jobId: "backup", runId: "r1" };
  m = { ...m, run: detail("r1", ["extract", "load"]) };
  const [, open] = handleKey({ ...m, taskIndex: 1 }, "l", PAGE);
  assert.deepEqual(open, { type: "openLogs", jobId: "backup", runId: "r1", taskId: "load" });
  const runs: Model = { ...remote(), view: "runs", jobId: "backup", runs: [run("r9")] };
  const [, ofRun] = handleKey(runs, "l", PAGE);
  assert.deepEqual(ofRun, { type: "openLogs", jobId: "backup", runId: "r9", taskId: null });
});

Deno.test("handleKey(): t and p act remotely, and are refused with a message for a database", () => {
  assert.deepEqual(handleKey(remote(), "t", PAGE)[1], {
    type: "trigger",
    jobId: "a",
    force: false,
  });
  const paused = { ...remote(), scheduler: { state: "paused", is_running: true, is_paused: true } };
  assert.deepEqual(handleKey(paused as Model, "p", PAGE)[1], { type: "pause", paused: false });
  const db: Model = { ...initialModel("db", "/x.db"), jobs };
  const [m, effect] = handleKey(db, "t", PAGE);
  assert.equal(effect.type, "none");
  assert.match(m.message!.text, /trigger needs --remote/);
  assert.match(handleKey(db, "p", PAGE)[0].message!.text, /pause\/resume needs --remote/);
});

Deno.test("handleKey(): q and Ctrl+C quit from anywhere, ? toggles help", () => {
  assert.equal(handleKey(remote(), "q", PAGE)[1].type, "quit");
  const [help] = handleKey(remote(), "?", PAGE);
  assert.equal(help.help, true);
  assert.equal(handleKey(help, "ctrl-c", PAGE)[1].type, "quit");
  assert.equal(handleKey(help, "j", PAGE)[0].help, true);
  assert.equal(handleKey(help, "escape", PAGE)[0].help, false);
});

Deno.test("handleKey(): in the logs, scrolling up stops following and G follows again", () => {
  const lines = Array.from({ length: 30 }, (_, i) => ({ stream: "stdout" as const, text: `${i}` }));
  const log = {
    jobId: "j",
    runId: "r",
    taskId: "t",
    attempt: 1,
    lines,
    mode: "live" as const,
    note: null,
    scroll: null,
  };
  let [m] = press({ ...remote(), log }, "k");
  assert.equal(m.log!.scroll, 19);
  [m] = press(m, "pageup", "pageup", "pageup");
  assert.equal(m.log!.scroll, 0);
  [m] = press(m, "G");
  assert.equal(m.log!.scroll, null);
  const [closed, effect] = handleKey(m, "escape", PAGE);
  assert.equal(closed.log, null);
  assert.equal(effect.type, "closeLogs");
});

Deno.test("withJobs() and withRuns(): the selection stays on the same item", () => {
  const m = { ...remote(), jobIndex: 1 };
  const more = [{ id: "0", job: null, last_run: null }, ...jobs];
  assert.equal(withJobs(m, more).jobIndex, 2);
  assert.equal(withJobs(m, [jobs[0]]).jobIndex, 0);
  const runs: Model = { ...remote(), view: "runs", runs: [run("r1")], runIndex: 0 };
  assert.equal(withRuns(runs, [run("r2"), run("r1")]).runIndex, 1);
});
