/**
 * Pieces the pages share: the table of runs, the schedule cell, and a debounce for live
 * refreshes (a burst of events makes one reload).
 *
 * @module
 */

import { badge, h, pageHref } from "../dom.js";
import { iso, took, when } from "../format.js";

/** `fn` called once, `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

/** Schedule in words (when the pattern is a common one) and as written, with its zone. */
export function scheduleCell(job, describe) {
  if (job.schedule === null) return h("span", { class: "muted" }, "manual only");
  const words = describe(job.schedule);
  return [
    words ? h("div", {}, words) : null,
    h("code", {}, job.schedule),
    job.timezone && job.timezone !== "UTC"
      ? h("span", { class: "muted small" }, ` ${job.timezone}`)
      : null,
  ];
}

/** A table of runs (stacked on narrow screens). */
export function runsTable(runs, { showJob = false, empty = "No runs." } = {}) {
  if (runs.length === 0) return h("p", { class: "muted" }, empty);
  const head = ["Run", showJob ? "Job" : null, "Status", "Trigger", "Started", "Took", "Note"]
    .filter(Boolean);
  return h(
    "div",
    { class: "table-box" },
    h(
      "table",
      { class: "stack runs" },
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        runs.map((r) =>
          h(
            "tr",
            { "data-run": r.id },
            h("td", { "data-label": "Run" }, h("a", { href: pageHref("runs", r.id) }, r.id)),
            showJob
              ? h(
                "td",
                { "data-label": "Job" },
                h("a", { href: pageHref("jobs", r.job_id) }, r.job_id),
              )
              : null,
            h("td", { "data-label": "Status" }, badge(r.status)),
            h("td", { "data-label": "Trigger" }, r.trigger),
            h("td", { "data-label": "Started", title: iso(r.started_at) }, when(r.started_at)),
            h("td", { "data-label": "Took" }, r.status === "skipped" ? "–" : took(r.duration_ms)),
            h("td", { "data-label": "Note", class: "wrap" }, r.error ?? r.reason),
          )
        ),
      ),
    ),
  );
}
