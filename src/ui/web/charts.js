/**
 * Small charts of runs: the strip of a job's last runs coloured by status, and the bars of
 * run durations. Bars and cells link to their runs; the numbers are in each one's title.
 *
 * @module
 */

import { h, pageHref, s } from "./dom.js";
import { took, when } from "./format.js";

/** `runs` (newest first) as `slots` cells, oldest on the left, newest on the right. */
export function runStrip(runs, slots = 20) {
  const shown = runs.slice(0, slots).reverse();
  const counts = {};
  for (const r of shown) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const summary = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ") || "no runs";
  const cells = shown.map((r) =>
    h("a", {
      class: ["cell", `st-${r.status}`],
      href: pageHref("runs", r.id),
      title: `${r.status} · ${when(r.started_at)} · ${took(r.duration_ms)}`,
      tabindex: "-1",
      "aria-hidden": "true",
    })
  );
  for (let i = shown.length; i < slots; i++) cells.unshift(h("span", { class: "cell empty" }));
  return h("div", { class: "strip", role: "img", "aria-label": `last runs: ${summary}` }, cells);
}

const BAR_W = 12;
const GAP = 3;
const HEIGHT = 120;

/**
 * Bars of the durations of `runs` (newest first; skipped slots and running runs left out), in
 * `slots` places with the newest on the right, so a bar keeps its width however many there are.
 */
export function durationBars(runs, slots = 50) {
  const timed = runs.filter((r) => r.duration_ms !== null && r.status !== "skipped")
    .slice(0, slots).reverse();
  if (timed.length === 0) return h("p", { class: "muted" }, "No finished runs yet.");
  const max = Math.max(1, ...timed.map((r) => r.duration_ms));
  const width = slots * (BAR_W + GAP);
  const first = slots - timed.length;
  const svg = s("svg", {
    class: "bars",
    viewBox: `0 0 ${width} ${HEIGHT}`,
    preserveAspectRatio: "none",
    role: "img",
    "aria-label": `durations of the last ${timed.length} runs, longest ${took(max)}`,
  });
  timed.forEach((r, i) => {
    const height = Math.max(1.5, (r.duration_ms / max) * (HEIGHT - 2));
    svg.append(s(
      "a",
      { href: pageHref("runs", r.id) },
      s(
        "rect",
        {
          class: `st-${r.status}`,
          x: (first + i) * (BAR_W + GAP),
          y: HEIGHT - height,
          width: BAR_W,
          height,
        },
        s("title", {}, `${when(r.started_at)}: ${took(r.duration_ms)} (${r.status})`),
      ),
    ));
  });
  const sorted = timed.map((r) => r.duration_ms).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return h(
    "figure",
    { class: "chart" },
    h("div", { class: "chart-scale" }, h("span", {}, took(max)), h("span", {}, "0")),
    svg,
    h(
      "figcaption",
      { class: "muted" },
      `${timed.length} ${timed.length === 1 ? "run" : "runs"}, newest on the right · longest ` +
        `${took(max)} · median ${took(median)}`,
    ),
  );
}
