import assert from "node:assert/strict";
import { escapeLabel } from "../../src/api/metrics.ts";
import { startHarness, waitFor } from "./helpers.ts";

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const VALUE = "(?:[-+]?(?:\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|\\.\\d+)|NaN|[+-]Inf)";
/** A sample line of the text exposition format 0.0.4. */
const SAMPLE = new RegExp(`^${NAME}(?:\\{${LABEL}(?:,${LABEL})*\\})? ${VALUE}(?: -?\\d+)?$`);
const COMMENT = new RegExp(
  `^# (?:HELP ${NAME} .*|TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped))$`,
);

Deno.test("metrics: exposition format, run counters, durations and gauges", async () => {
  const h = await startHarness();
  try {
    for (const job of ["quick", "failing"]) {
      const t = await h.json(`/api/jobs/${job}/trigger`, { method: "POST" });
      await waitFor(`${job} to finish`, () => {
        const run = h.storage.getRun(String(t.body.run_id));
        return run?.status === "running" ? undefined : run;
      });
    }
    // The run's record is final a moment before the scheduler lets go of it.
    await waitFor("no active runs", () => h.scheduler.activeRunIds().length === 0 || undefined);
    h.scheduler.pause();
    const res = await h.fetch("/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    assert.ok(text.endsWith("\n"));
    const lines = text.trimEnd().split("\n");
    for (const line of lines) {
      assert.match(line, line.startsWith("#") ? COMMENT : SAMPLE);
    }
    const value = (series: string) => {
      const line = lines.find((l) => l.startsWith(`${series} `));
      assert.ok(line, `no ${series}`);
      return Number(line.slice(series.length + 1));
    };
    assert.equal(value('petit_runs_total{job_id="quick",status="completed"}'), 1);
    assert.equal(value('petit_runs_total{job_id="failing",status="failed"}'), 1);
    assert.equal(value('petit_runs_total{job_id="slow",status="completed"}'), 0);
    // quick has two tasks; each lands in every bucket from its duration up.
    assert.equal(
      value('petit_task_duration_seconds_bucket{job_id="quick",status="completed",le="+Inf"}'),
      2,
    );
    assert.equal(value('petit_task_duration_seconds_count{job_id="quick",status="completed"}'), 2);
    assert.equal(
      value('petit_task_duration_seconds_bucket{job_id="quick",status="completed",le="3600"}'),
      2,
    );
    assert.equal(value('petit_task_duration_seconds_count{job_id="failing",status="failed"}'), 1);
    assert.equal(value("petit_jobs"), 5);
    assert.equal(value("petit_jobs_enabled"), 5);
    assert.equal(value("petit_running_runs"), 0);
    assert.equal(value("petit_scheduler_paused"), 1);
    assert.ok(value("petit_process_resident_memory_bytes") > 1_000_000);
    assert.equal(value("petit_schedule_lateness_seconds_count"), h.engine.lateness.length);
    // Histogram buckets are cumulative.
    const buckets = lines.filter((l) =>
      l.startsWith('petit_task_duration_seconds_bucket{job_id="quick",status="completed"')
    ).map((l) => Number(l.split(" ")[1]));
    assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b));
    // Every family has HELP and TYPE.
    for (
      const family of [
        "petit_runs_total",
        "petit_task_duration_seconds",
        "petit_schedule_lateness_seconds",
      ]
    ) {
      assert.ok(lines.includes(lines.find((l) => l.startsWith(`# TYPE ${family} `))!));
    }
  } finally {
    await h.close();
  }
});

Deno.test("metrics: no petit_* series has a job label (Prometheus reserves it)", async () => {
  // A scrape renames a `job` label to `exported_job`, so queries on `job` would find nothing.
  const h = await startHarness();
  try {
    const t = await h.json("/api/jobs/quick/trigger", { method: "POST" });
    await waitFor("quick to finish", () => {
      const run = h.storage.getRun(String(t.body.run_id));
      return run?.status === "running" ? undefined : run;
    });
    const res = await h.fetch("/metrics");
    const series = (await res.text()).split("\n").filter((l) => l.startsWith("petit_"));
    for (const line of series) assert.doesNotMatch(line, /[{,]job=/, line);
    // Both labelled families are there, so the check above had something to check.
    for (const family of ["petit_runs_total{", "petit_task_duration_seconds_count{"]) {
      assert.ok(series.some((l) => l.startsWith(family) && l.includes('job_id="quick"')), family);
    }
  } finally {
    await h.close();
  }
});

Deno.test("metrics: label values are escaped", () => {
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.match(`x{job="${escapeLabel('we"ird\\\n')}"} 1`, SAMPLE);
});
