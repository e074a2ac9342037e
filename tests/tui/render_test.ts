import assert from "node:assert/strict";
import type { JobView, RunDetailView, RunView } from "../../src/core/views.ts";
import { initialModel, type Model } from "../../src/tui/model.ts";
import { render } from "../../src/tui/render.ts";

const NOW = new Date(2026, 2, 8, 15, 0, 0).getTime();
const SIZE = { columns: 80, rows: 24 };

function job(id: string): JobView {
  return {
    id,
    name: id,
    description: null,
    enabled: true,
    scheduled: true,
    task_count: 2,
    schedule: "*/5 * * * *",
    timezone: "UTC",
    next_run: NOW + 60_000,
  };
}

function run(id: string, status: RunView["status"]): RunView {
  return {
    id,
    job_id: "a_job_with_a_rather_long_identifier",
    status,
    trigger: "schedule",
    started_at: NOW - 3_600_000,
    ended_at: NOW,
    duration_ms: 3_600_000,
    error: status === "failed" ? "task extract failed with exit code 1 and a long reason" : null,
    reason: null,
    scheduled_for: NOW - 3_600_000,
    retry_of: null,
    params: {},
    parent_run_id: null,
  };
}

const runs = Array.from(
  { length: 40 },
  (_, i) => run(`0mx5h${i}-9a1c03ee`, i % 3 ? "completed" : "failed"),
);
const detail: RunDetailView = {
  ...runs[0],
  tasks: ["extract", "transform_with_a_very_long_task_name_indeed", "load"].map((task_id) => ({
    task_id,
    run_id: runs[0].id,
    status: "failed",
    attempts: 3,
    started_at: NOW - 1000,
    ended_at: NOW,
    duration_ms: 1000,
    exit_code: 127,
    error: "command not found",
  })),
};

const base: Model = {
  ...initialModel("remote", "https://pi.local:8565"),
  jobs: Array.from({ length: 30 }, (_, i) => ({
    id: `job_${i}_${"x".repeat(i)}`,
    job: job(`job_${i}`),
    last_run: runs[i],
  })),
  jobId: "a_job_with_a_rather_long_identifier",
  runs,
  runId: runs[0].id,
  run: detail,
  scheduler: { state: "running", is_running: true, is_paused: false },
};

const lines = Array.from({ length: 100 }, (_, i) => ({
  stream: (i % 2 ? "stderr" : "stdout") as "stdout" | "stderr",
  text: `output line ${i} ${"-".repeat(i)}`,
}));

const screens: Record<string, Model> = {
  jobs: { ...base, jobIndex: 29 },
  runs: { ...base, view: "runs", runIndex: 20 },
  tasks: { ...base, view: "tasks", taskIndex: 1 },
  logs: {
    ...base,
    log: {
      jobId: "j",
      runId: "r",
      taskId: "t",
      attempt: 2,
      lines,
      mode: "live",
      note: "n".repeat(200),
      scroll: null,
    },
  },
  help: { ...base, help: true },
  "database jobs": { ...base, kind: "db", label: "/var/lib/petit/petit.db", scheduler: null },
  message: { ...base, message: { text: "m".repeat(300), error: true } },
};

for (const [name, model] of Object.entries(screens)) {
  Deno.test(`render(): the ${name} screen is exactly 80×24`, () => {
    for (const color of [false, true]) {
      const frame = render(model, SIZE, NOW, color);
      assert.equal(frame.length, 24);
      for (const line of frame) {
        // deno-lint-ignore no-control-regex -- SGR codes are what is taken out
        const visible = line.replace(/\x1b\[[0-9;]*m/g, "");
        assert.ok([...visible].length <= 80, `${[...visible].length} columns: ${visible}`);
        // deno-lint-ignore no-control-regex -- looking for colour codes
        if (!color) assert.doesNotMatch(line, /\x1b\[3\dm/, "no colours without colour");
      }
    }
  });
}

Deno.test("render(): the selected row stays in view, marked, at the end of a long list", () => {
  const frame = render(screens.jobs, SIZE, NOW, false);
  const selected = frame.filter((l) => l.includes("\x1b[7m>"));
  assert.equal(selected.length, 1, frame.join("\n"));
  assert.ok(selected[0].startsWith("\x1b[7m>job_29_xxx"), selected[0]);
});

Deno.test("render(): the logs follow the end, and stderr is red", () => {
  const frame = render(screens.logs, SIZE, NOW, false);
  assert.match(frame.join("\n"), /output line 99/);
  assert.match(frame[22], /lines 82–100 of 100 \(following the end\)/);
  const colored = render(screens.logs, SIZE, NOW, true);
  assert.ok(colored.some((l) => l.startsWith("\x1b[31moutput line 99")));
});

Deno.test("render(): the jobs show next and last runs, the runs their status", () => {
  const jobs = render(screens.jobs, SIZE, NOW, false).join("\n");
  assert.match(jobs, /JOB\s+NEXT RUN\s+LAST RUN\s+STATUS\s+TOOK/);
  assert.match(jobs, /15:01:00\s+14:00:00\s+(failed|completed)\s+1h/);
  const db = render(screens["database jobs"], SIZE, NOW, false).join("\n");
  assert.doesNotMatch(db, /NEXT RUN/);
  assert.match(db, /\(read-only\)/);
});

Deno.test("render(): a terminal below 40×10 gets a note instead of a broken frame", () => {
  const frame = render(base, { columns: 30, rows: 8 }, NOW, false);
  assert.equal(frame.length, 8);
  assert.match(frame[0], /terminal too small: 30×8/);
  assert.ok(frame.every((l) => [...l].length <= 30));
});
