/**
 * A run's timeline: one row per task, one bar per attempt from its start to its end (to now
 * while it runs), so retries and the waits between them show. Positions are percentages of
 * the run's span, set through the CSSOM (the policy forbids style attributes).
 *
 * @module
 */

import { h, pageHref } from "./dom.js";
import { took, when } from "./format.js";

/** How an attempt ended, as a status class. */
function attemptStatus(a, task, last) {
  if (a.ended_at === null) return "running";
  if (last && task.status === "cancelled") return "cancelled";
  return a.exit_code === 0 && a.error === null ? "completed" : "failed";
}

/**
 * The timeline of `run` with its `tasks` and finished `attempts`; `liveStarts` maps
 * `task#attempt` to the start of attempts still running (from the live events).
 */
export function ganttView(run, tasks, attempts, liveStarts, now = Date.now()) {
  const start = run.started_at;
  const bars = new Map(tasks.map((t) => [t.task_id, []]));
  for (const a of attempts) bars.get(a.task_id)?.push({ ...a });
  for (const t of tasks) {
    const list = bars.get(t.task_id);
    if (t.status !== "running" || list.some((a) => a.attempt === t.attempts)) continue;
    const previous = list.at(-1);
    const begun = liveStarts.get(`${t.task_id}#${t.attempts}`) ??
      (previous ? previous.ended_at : t.started_at);
    if (begun !== null && begun !== undefined) {
      list.push({ attempt: t.attempts, started_at: begun, ended_at: null, exit_code: null });
    }
  }
  const ends = [...bars.values()].flat().map((a) => a.ended_at ?? now);
  const end = Math.max(run.ended_at ?? now, start + 1, ...ends);
  const span = end - start;
  const pct = (ms) => `${Math.min(100, Math.max(0, ((ms - start) / span) * 100))}%`;

  const rows = tasks.map((t) => {
    const list = bars.get(t.task_id);
    const track = h("div", { class: "track" });
    if (list.length === 0) track.append(h("span", { class: "track-note" }, t.status));
    list.forEach((a, i) => {
      const status = attemptStatus(a, t, i === list.length - 1);
      const stop = a.ended_at ?? now;
      const title = `${t.task_id} attempt ${a.attempt}: ${status}, from ${when(a.started_at)} ` +
        `for ${took(stop - a.started_at)}` + (a.exit_code === null ? "" : `, exit ${a.exit_code}`);
      const bar = h(
        "a",
        {
          class: ["bar", `st-${status}`],
          href: pageHref("runs", run.id, { task: t.task_id, attempt: a.attempt }),
          title,
          "aria-label": title,
        },
        list.length > 1 ? String(a.attempt) : "",
      );
      bar.style.left = pct(a.started_at);
      bar.style.width = `max(3px, calc(${pct(stop)} - ${pct(a.started_at)}))`;
      track.append(bar);
    });
    return h(
      "div",
      { class: "gantt-row" },
      h("a", { class: "label", href: pageHref("runs", run.id, { task: t.task_id }) }, t.task_id),
      track,
    );
  });
  return h(
    "div",
    { class: "gantt" },
    rows,
    h(
      "div",
      { class: "gantt-row" },
      h("span"),
      h(
        "div",
        { class: "gantt-axis muted" },
        h("span", {}, when(start)),
        h("span", {}, `${took(span)}${run.ended_at === null ? " so far" : ""}`),
      ),
    ),
  );
}
