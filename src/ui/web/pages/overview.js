/**
 * `/`: every job (schedule in words and as written, next fire, its last 20 runs, the last
 * run, Run now and Enable/Disable), the scheduler with Pause/Resume, and the recent runs of
 * all jobs, filtered by job and status (kept in the URL), a page at a time.
 *
 * @module
 */

import { api, apiPath, post } from "../api.js";
import { enableButton, notify, runButton } from "../actions.js";
import { badge, fill, h, pageHref } from "../dom.js";
import { relative, took, when } from "../format.js";
import { runStrip } from "../charts.js";
import { describeSchedule } from "../schedule_words.js";
import { debounce, runsTable, scheduleCell } from "./parts.js";

/** Runs per page of the recent runs. */
const PAGE = 20;
const STATUSES = ["running", "completed", "failed", "interrupted", "cancelled", "skipped"];

/** Mounts the overview in `main`. */
export function mount(main, _id, url) {
  document.title = "Petit";
  const state = h("span", { class: "badge" }, "…");
  const pause = h("button", { type: "button" }, "Pause");
  const jobsBody = h("tbody");
  const rows = new Map();
  const jobFilter = h("select", { name: "job" }, h("option", { value: "" }, "all jobs"));
  const statusFilter = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "any status"),
    STATUSES.map((st) => h("option", { value: st }, st)),
  );
  const runsBox = h("div");
  const pager = h("nav", { class: "pager", "aria-label": "pages of runs" });
  let paused = false;
  let cursors = []; // cursors of the pages before the one shown ([] on the first page)
  let cursor = null;
  let jobs = [];

  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Jobs"),
      h("div", { class: "scheduler" }, "Scheduler ", state, " ", pause),
    ),
    h(
      "div",
      { class: "table-box" },
      h(
        "table",
        { class: "stack jobs" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Job", "Schedule", "Next run", "Last 20 runs", "Last run", "Actions"].map((t) =>
              h("th", { scope: "col" }, t)
            ),
          ),
        ),
        jobsBody,
      ),
    ),
    h(
      "section",
      {},
      h("h2", {}, "Recent runs"),
      h(
        "form",
        { class: "filters", onsubmit: (e) => e.preventDefault() },
        h("label", {}, "Job ", jobFilter),
        h("label", {}, "Status ", statusFilter),
      ),
      runsBox,
      pager,
    ),
  );

  const showState = (s) => {
    paused = s.is_paused;
    state.className = `badge st-${s.state}`;
    state.textContent = s.state;
    pause.textContent = s.is_paused ? "Resume" : "Pause";
  };
  pause.addEventListener("click", async () => {
    try {
      showState(await post(`/api/scheduler/${paused ? "resume" : "pause"}`));
    } catch (err) {
      notify("bad", err.message);
    }
  });

  /** The row of a job, made once and then updated in place (buttons keep focus). */
  const rowOf = (job) => {
    let row = rows.get(job.id);
    if (!row) {
      const cells = {
        name: h("td", { "data-label": "Job" }),
        schedule: h("td", { "data-label": "Schedule" }),
        next: h("td", { "data-label": "Next run" }),
        strip: h("td", { "data-label": "Last 20" }),
        last: h("td", { "data-label": "Last run" }),
      };
      const toggle = enableButton(job, (changed) => updateJob(changed));
      const actions = h("td", { class: "row-actions" }, runButton(job.id), toggle);
      row = { tr: h("tr", { "data-job": job.id }, Object.values(cells), actions), cells, toggle };
      rows.set(job.id, row);
    }
    return row;
  };

  const updateJob = (job) => {
    const { cells, toggle } = rowOf(job);
    fill(
      cells.name,
      h("a", { href: pageHref("jobs", job.id), class: "job-name" }, job.name),
      job.name === job.id ? null : h("div", { class: "muted small" }, job.id),
      job.description ? h("div", { class: "desc" }, job.description) : null,
      job.enabled ? null : badge("disabled"),
    );
    fill(cells.schedule, scheduleCell(job, describeSchedule));
    fill(
      cells.next,
      job.next_run === null
        ? h("span", { class: "muted" }, "–")
        : [when(job.next_run), h("div", { class: "muted small rel", "data-at": job.next_run })],
    );
    toggle.update(job);
    tick();
  };

  const loadRuns = async (jobId) => {
    const { runs } = await api(`${apiPath("jobs", jobId, "runs")}?limit=20`);
    const { cells } = rowOf({ id: jobId });
    fill(cells.strip, runStrip(runs));
    const last = runs[0];
    fill(
      cells.last,
      last
        ? [
          h("a", { href: pageHref("runs", last.id) }, badge(last.status)),
          h(
            "div",
            { class: "muted small" },
            `${when(last.started_at)} · ${took(last.duration_ms)}`,
          ),
        ]
        : h("span", { class: "muted" }, "never ran"),
    );
  };

  const loadJobs = async () => {
    ({ jobs } = await api("/api/jobs"));
    if (jobs.length === 0) {
      fill(jobsBody, h("tr", {}, h("td", { colspan: 6 }, "No jobs loaded.")));
    } else {
      for (const job of jobs) updateJob(job);
      fill(jobsBody, jobs.map((j) => rows.get(j.id).tr));
      tick();
    }
    const chosen = jobFilter.value;
    fill(
      jobFilter,
      h("option", { value: "" }, "all jobs"),
      jobs.map((j) => h("option", { value: j.id }, j.id)),
    );
    jobFilter.value = chosen;
  };

  const loadRecent = async () => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (jobFilter.value) q.set("job_id", jobFilter.value);
    if (statusFilter.value) q.set("status", statusFilter.value);
    if (cursor) q.set("cursor", cursor);
    const page = await api(`/api/runs?${q}`);
    fill(runsBox, runsTable(page.runs, { showJob: true, empty: "No runs." }));
    fill(
      pager,
      cursors.length > 0
        ? h("button", {
          type: "button",
          onclick: () => {
            cursor = cursors.pop();
            void loadRecent().catch(failed);
          },
        }, "← Newer")
        : null,
      page.next_cursor
        ? h("button", {
          type: "button",
          onclick: () => {
            cursors.push(cursor);
            cursor = page.next_cursor;
            void loadRecent().catch(failed);
          },
        }, "Older →")
        : null,
    );
  };

  const failed = (err) => notify("bad", err.message);
  const filtersChanged = () => {
    cursors = [];
    cursor = null;
    const u = new URL(location.href);
    for (const [key, sel] of [["job", jobFilter], ["status", statusFilter]]) {
      if (sel.value) u.searchParams.set(key, sel.value);
      else u.searchParams.delete(key);
    }
    history.replaceState(null, "", u);
    void loadRecent().catch(failed);
  };
  jobFilter.addEventListener("change", filtersChanged);
  statusFilter.addEventListener("change", filtersChanged);

  const tick = () => {
    for (const el of main.querySelectorAll(".rel[data-at]")) {
      el.textContent = relative(Number(el.dataset.at));
    }
  };

  // Live: job events refresh that job's row and, on the newest page, the recent runs.
  const changedJobs = new Set();
  const refresh = debounce(async () => {
    const ids = [...changedJobs];
    changedJobs.clear();
    try {
      const { jobs: fresh } = await api("/api/jobs");
      for (const job of fresh) if (rows.has(job.id)) updateJob(job);
      await Promise.all(ids.filter((id) => rows.has(id)).map(loadRuns));
      if (cursor === null) await loadRecent();
    } catch (err) {
      failed(err);
    }
  }, 150);

  (async () => {
    const q = url.searchParams;
    statusFilter.value = STATUSES.includes(q.get("status")) ? q.get("status") : "";
    const [s] = await Promise.all([api("/api/scheduler/state"), loadJobs()]);
    showState(s);
    if (q.get("job")) jobFilter.value = q.get("job");
    await Promise.all([loadRecent(), ...jobs.map((j) => loadRuns(j.id))]);
  })().catch(failed);

  return {
    onEvent(event) {
      if (event.type === "scheduler_paused" || event.type === "scheduler_resumed") {
        void api("/api/scheduler/state").then(showState, failed);
      } else if (event.type.startsWith("job_")) {
        changedJobs.add(event.job_id);
        refresh();
      }
    },
    tick,
  };
}
