/**
 * The dashboard: one self-contained page served at `/` by `pt run`. It only uses the public
 * JSON API (and its event stream), so it needs no build step and holds no data itself.
 * When the API has a token, the page asks for it once and keeps it in sessionStorage.
 *
 * @module
 */

/**
 * How often the page reloads the scheduler state and job list from the API, in ms, besides
 * the reloads that job and scheduler events bring.
 *
 * @default {15_000}
 */
const REFRESH_MS = 15_000;

/** The dashboard page. */
export const DASHBOARD_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Petit</title>
<style>
  :root { color-scheme: light dark; --ok:#2e7d32; --bad:#c62828; --warn:#ef6c00; --dim:#888; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; }
  header { display:flex; gap:1rem; align-items:center; padding:.6rem 1rem; border-bottom:1px solid #8884; }
  header h1 { font-size:1.1rem; margin:0; }
  main { display:grid; grid-template-columns: minmax(0,3fr) minmax(0,2fr); gap:1rem; padding:1rem; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
  section { overflow-x: auto; }
  section h2 { font-size:1rem; margin:.2rem 0 .5rem; }
  table { border-collapse: collapse; width:100%; }
  th, td { text-align:left; padding:.25rem .4rem; border-bottom:1px solid #8882; white-space:nowrap; }
  td.wrap { white-space:normal; word-break:break-word; }
  button { font:inherit; padding:.1rem .5rem; cursor:pointer; }
  .completed { color:var(--ok); } .failed, .interrupted { color:var(--bad); }
  .running { color:var(--warn); } .skipped, .cancelled, .pending { color:var(--dim); }
  #events { font-family: ui-monospace, monospace; font-size:12px; max-height: 22rem; overflow:auto; }
  pre { background:#8881; padding:.5rem; overflow:auto; max-height:20rem; }
  .muted { color:var(--dim); } a { cursor:pointer; text-decoration: underline; }
</style>
</head>
<body>
<header>
  <h1>Petit</h1>
  <span id="state" class="muted">…</span>
  <button id="pause">Pause</button>
  <span id="error" class="failed"></span>
</header>
<main>
  <section>
    <h2>Jobs</h2>
    <table><thead><tr><th>Job</th><th>Schedule</th><th>Next run</th><th>Last run</th><th></th></tr></thead>
    <tbody id="jobs"></tbody></table>
    <h2 style="margin-top:1rem">Run <span id="run-id" class="muted"></span></h2>
    <div id="run" class="muted">Pick a run.</div>
  </section>
  <section>
    <h2>Recent runs</h2>
    <table><thead><tr><th>Run</th><th>Job</th><th>Status</th><th>Started</th><th>Took</th></tr></thead>
    <tbody id="runs"></tbody></table>
    <h2 style="margin-top:1rem">Live events</h2>
    <div id="events"></div>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"})[c]);
const pad = (n) => String(n).padStart(2, "0");
const when = (ms) => {
  if (ms == null) return "-";
  const d = new Date(ms);
  const time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  const today = new Date().toDateString() === d.toDateString();
  return today ? time : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + time;
};
const took = (ms) => ms == null ? "-" : ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s";
let token = sessionStorage.getItem("petit-token") || "";

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(path, { ...options, headers });
  if (res.status === 401) {
    token = prompt("This Petit API needs a token:") || "";
    sessionStorage.setItem("petit-token", token);
    if (token) return api(path, options);
  }
  const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

async function refresh() {
  try {
    const [state, jobs, runs] = await Promise.all([
      api("/api/scheduler/state"), api("/api/jobs"), api("/api/runs?limit=25"),
    ]);
    $("state").textContent = state.state;
    $("pause").textContent = state.is_paused ? "Resume" : "Pause";
    $("pause").onclick = () => api("/api/scheduler/" + (state.is_paused ? "resume" : "pause"), { method: "POST" }).then(refresh);
    const last = {};
    for (const r of runs.runs) if (!(r.job_id in last)) last[r.job_id] = r;
    $("jobs").innerHTML = jobs.jobs.map((j) => {
      const l = last[j.id];
      return "<tr><td title='" + esc(j.description) + "'>" + esc(j.id) + (j.enabled ? "" : " <span class=muted>(disabled)</span>") +
        "</td><td>" + esc(j.schedule ? j.schedule + " " + j.timezone : "manual") + "</td><td>" + when(j.next_run) +
        "</td><td>" + (l ? "<a data-run='" + esc(l.id) + "' class='" + esc(l.status) + "'>" + esc(l.status) + "</a>" : "-") +
        "</td><td><button data-trigger='" + esc(j.id) + "'>Run now</button> <button data-toggle='" + esc(j.id) +
        "' data-on='" + j.enabled + "'>" + (j.enabled ? "Disable" : "Enable") + "</button></td></tr>";
    }).join("");
    $("runs").innerHTML = runs.runs.map((r) =>
      "<tr><td><a data-run='" + esc(r.id) + "'>" + esc(r.id) + "</a></td><td>" + esc(r.job_id) + "</td><td class='" +
      esc(r.status) + "'>" + esc(r.status) + "</td><td>" + when(r.started_at) + "</td><td>" + took(r.duration_ms) + "</td></tr>"
    ).join("");
    $("error").textContent = "";
  } catch (e) { $("error").textContent = e.message; }
}

async function showRun(id) {
  $("run-id").textContent = id;
  const { tasks } = await api("/api/runs/" + encodeURIComponent(id) + "/tasks");
  $("run").innerHTML = "<table><tr><th>Task</th><th>Status</th><th>Attempts</th><th>Took</th><th>Exit</th><th>Error</th></tr>" +
    tasks.map((t) => "<tr><td><a data-logs='" + esc(t.task_id) + "'>" + esc(t.task_id) + "</a></td><td class='" + esc(t.status) + "'>" +
      esc(t.status) + "</td><td>" + t.attempts + "</td><td>" + took(t.duration_ms) + "</td><td>" + (t.exit_code ?? "-") +
      "</td><td class=wrap>" + esc(t.error) + "</td></tr>").join("") + "</table><pre id=logs class=muted>Pick a task for its logs.</pre>";
  $("run").dataset.run = id;
}

document.addEventListener("click", async (e) => {
  const t = e.target;
  try {
    if (t.dataset.run) await showRun(t.dataset.run);
    else if (t.dataset.logs) {
      $("logs").textContent = await api("/api/runs/" + encodeURIComponent($("run").dataset.run) + "/tasks/" + encodeURIComponent(t.dataset.logs) + "/logs");
    } else if (t.dataset.trigger) {
      const r = await api("/api/jobs/" + encodeURIComponent(t.dataset.trigger) + "/trigger", { method: "POST" });
      await showRun(r.run_id); refresh();
    } else if (t.dataset.toggle) {
      await api("/api/jobs/" + encodeURIComponent(t.dataset.toggle) + "/" + (t.dataset.on === "true" ? "disable" : "enable"), { method: "POST" });
      refresh();
    }
  } catch (err) { $("error").textContent = err.message; }
});

// Server-sent events through fetch, so the token can go in a header.
async function stream() {
  for (;;) {
    try {
      const headers = token ? { Authorization: "Bearer " + token } : {};
      const res = await fetch("/api/events", { headers });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf("\\n\\n")) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          const data = block.split("\\n").find((l) => l.startsWith("data: "));
          if (!data) continue;
          const ev = JSON.parse(data.slice(6));
          const line = document.createElement("div");
          line.textContent = new Date(ev.at).toLocaleTimeString() + " " + ev.type + " " + (ev.job_id || "") + " " + (ev.task_id || "") + (ev.error ? " — " + ev.error : "");
          $("events").prepend(line);
          while ($("events").childElementCount > 200) $("events").lastChild.remove();
          if (ev.type.startsWith("job_") || ev.type.startsWith("scheduler_")) refresh();
          if (ev.run_id && ev.run_id === $("run").dataset.run && ev.type.startsWith("task_")) showRun(ev.run_id);
        }
      }
    } catch { /* reconnect below */ }
    await new Promise((r) => setTimeout(r, 3000));
  }
}

refresh();
setInterval(refresh, ${REFRESH_MS});
stream();
</script>
</body>
</html>
`;
