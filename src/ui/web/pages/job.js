/**
 * `/jobs/{id}`: a job's name and description, schedule, params, its DAG, the next 5 fire
 * times, Run now (a form for the params when it has any; "Run anyway" on a dependency
 * refusal) and Enable/Disable, the durations of its last 50 runs, its run history (status
 * filter, paging) and the schedule slots it skipped, with why.
 *
 * @module
 */

import { api, apiPath } from "../api.js";
import { enableButton, notify, runButton } from "../actions.js";
import { badge, fill, h, pageHref } from "../dom.js";
import { iso, relative, when } from "../format.js";
import { durationBars } from "../charts.js";
import { dagView } from "../dag_view.js";
import { describeSchedule } from "../schedule_words.js";
import { debounce, runsTable, scheduleCell } from "./parts.js";

const PAGE = 20;
const STATUSES = ["running", "completed", "failed", "interrupted", "cancelled", "skipped"];

/** The params of a job: each name, with its default or "required". */
function paramList(params) {
  return params.map((p, i) => [
    i ? ", " : null,
    h("code", {}, p.default === null ? p.name : `${p.name}=${p.default}`),
    p.default === null ? h("span", { class: "muted" }, " (required)") : null,
  ]);
}

/** Mounts the page of job `id` in `main`. */
export function mount(main, id) {
  document.title = `${id} · Petit`;
  const title = h("h1", {}, id);
  const head = h("div", { class: "job-head" });
  const actions = h("div", { class: "actions" });
  const graph = h("div", {}, h("p", { class: "muted" }, "…"));
  const next = h("div");
  const chart = h("div");
  const history = h("div");
  const skipped = h("div");
  const statusFilter = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "any status"),
    STATUSES.map((st) => h("option", { value: st }, st)),
  );
  const pager = h("nav", { class: "pager", "aria-label": "pages of runs" });
  let cursors = [];
  let cursor = null;
  let toggle = null;
  let shown = null;
  const failed = (err) => notify("bad", err.message);

  main.append(
    h("p", { class: "crumbs" }, h("a", { href: "/" }, "Jobs"), " / ", id),
    h("div", { class: "page-head" }, title, actions),
    head,
    h("section", {}, h("h2", {}, "Tasks"), graph),
    h(
      "div",
      { class: "columns" },
      h("section", {}, h("h2", {}, "Next fire times"), next),
      h("section", {}, h("h2", {}, "Durations of the last 50 runs"), chart),
    ),
    h(
      "section",
      {},
      h("h2", {}, "Runs"),
      h(
        "form",
        { class: "filters", onsubmit: (e) => e.preventDefault() },
        h("label", {}, "Status ", statusFilter),
      ),
      history,
      pager,
    ),
    h("section", {}, h("h2", {}, "Skipped slots"), skipped),
  );

  const showJob = (job) => {
    shown = job;
    document.title = `${job.name} · Petit`;
    title.textContent = job.name;
    const deps = job.depends_on.map((d) => [
      h("a", { href: pageHref("jobs", d.job_id) }, d.job_id),
      ` (${d.condition.replaceAll("_", " ")})`,
    ]);
    fill(
      head,
      job.description ? h("p", { class: "desc" }, job.description) : null,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Id"),
        h("dd", {}, h("code", {}, job.id)),
        h("dt", {}, "Schedule"),
        h("dd", {}, scheduleCell(job, describeSchedule)),
        h("dt", {}, "State"),
        h("dd", {}, job.enabled ? badge("enabled") : badge("disabled")),
        h("dt", {}, "Next run"),
        h(
          "dd",
          { title: iso(job.next_run) },
          job.next_run === null ? "–" : `${when(job.next_run)} (${relative(job.next_run)})`,
        ),
        h("dt", {}, "Last run"),
        h(
          "dd",
          {},
          job.last_run
            ? [
              h("a", { href: pageHref("runs", job.last_run.id) }, badge(job.last_run.status)),
              ` ${when(job.last_run.started_at)}`,
            ]
            : "never ran",
        ),
        deps.length > 0
          ? [h("dt", {}, "Depends on"), h("dd", {}, deps.flatMap((d, i) => (i ? [", ", d] : d)))]
          : null,
        job.params.length > 0 ? [h("dt", {}, "Params"), h("dd", {}, paramList(job.params))] : null,
      ),
    );
    if (toggle) toggle.update(job);
    else {
      toggle = enableButton(job, () => void loadJob().catch(failed));
      fill(actions, runButton(job.id, () => shown.params), " ", toggle);
    }
  };

  const loadJob = async () => {
    try {
      const job = await api(apiPath("jobs", id));
      showJob(job);
      if (graph.dataset.drawn !== "1") {
        fill(graph, dagView(job.tasks.map((t) => ({ id: t.id, depends_on: t.depends_on }))));
        graph.dataset.drawn = "1";
      }
      const { next: times } = await api(`${apiPath("jobs", id, "next")}?count=5`);
      fill(
        next,
        times.length === 0
          ? h("p", { class: "muted" }, "No schedule: this job runs when triggered.")
          : h(
            "ol",
            { class: "times" },
            times.map((t) =>
              h("li", { title: iso(t) }, `${when(t)} `, h("span", { class: "muted" }, relative(t)))
            ),
          ),
        job.schedule !== null && !job.enabled
          ? h("p", { class: "muted" }, "Disabled: these slots will not fire.")
          : null,
      );
    } catch (err) {
      if (err.status !== 404) throw err;
      // A job removed from the files keeps its history.
      fill(head, h("p", { class: "warn" }, `Job ${id} is not loaded: ${err.message}`));
      fill(graph, h("p", { class: "muted" }, "Not loaded."));
      fill(next);
    }
  };

  const loadHistory = async () => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (statusFilter.value) q.set("status", statusFilter.value);
    if (cursor) q.set("cursor", cursor);
    const page = await api(`${apiPath("jobs", id, "runs")}?${q}`);
    fill(history, runsTable(page.runs, { empty: "No runs." }));
    fill(
      pager,
      cursors.length > 0
        ? h("button", { type: "button", onclick: () => turn(cursors.pop()) }, "← Newer")
        : null,
      page.next_cursor
        ? h("button", {
          type: "button",
          onclick: () => {
            cursors.push(cursor);
            turn(page.next_cursor);
          },
        }, "Older →")
        : null,
    );
  };
  const turn = (to) => {
    cursor = to;
    void loadHistory().catch(failed);
  };
  statusFilter.addEventListener("change", () => {
    cursors = [];
    turn(null);
  });

  const loadChart = async () => {
    const { runs } = await api(`${apiPath("jobs", id, "runs")}?limit=50`);
    fill(chart, durationBars(runs));
  };

  const loadSkipped = async () => {
    const { runs } = await api(`${apiPath("jobs", id, "runs")}?status=skipped&limit=20`);
    fill(
      skipped,
      runs.length === 0 ? h("p", { class: "muted" }, "No skipped slots.") : h(
        "div",
        { class: "table-box" },
        h(
          "table",
          { class: "stack" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, "Slot"), h("th", { scope: "col" }, "Reason")),
          ),
          h(
            "tbody",
            {},
            runs.map((r) =>
              h(
                "tr",
                {},
                h(
                  "td",
                  { "data-label": "Slot", title: iso(r.scheduled_for ?? r.started_at) },
                  when(r.scheduled_for ?? r.started_at),
                ),
                h("td", { "data-label": "Reason", class: "wrap" }, r.reason ?? r.error ?? ""),
              )
            ),
          ),
        ),
      ),
    );
  };

  const loadAll = () =>
    Promise.all([loadJob(), loadHistory(), loadChart(), loadSkipped()]).catch(failed);
  void loadAll();
  const refresh = debounce(() => {
    void Promise.all([
      loadJob(),
      cursor === null ? loadHistory() : null,
      loadChart(),
      loadSkipped(),
    ])
      .catch(failed);
  }, 150);

  return {
    onEvent(event) {
      if (event.job_id === id && event.type.startsWith("job_")) refresh();
    },
    tick() {},
  };
}
