/**
 * `/runs/{id}`: a run's DAG coloured by each task's status, the timeline of its attempts,
 * the task table, and the logs of one task and attempt (`?task=…&attempt=…`, so a log view
 * can be bookmarked), tailed live while it runs. Cancel while running, Retry when finished.
 * Live events of this run reload it; the running bars grow each second without asking the
 * API. The facts include the run's params and, for a run a sub-job task started, its parent
 * run; the notifications of the run sent or failed while the page is open are listed.
 *
 * @module
 */

import { api, apiPath, post } from "../api.js";
import { notify } from "../actions.js";
import { badge, fill, h, pageHref } from "../dom.js";
import { iso, took, when } from "../format.js";
import { dagView } from "../dag_view.js";
import { ganttView } from "../gantt.js";
import { LogView } from "../log_view.js";
import { navigate } from "../nav.js";
import { notificationList } from "./notifications.js";
import { debounce } from "./parts.js";

/** Events after which the stored attempts have changed. */
const ATTEMPT_ENDS = new Set(["task_retrying", "task_completed", "task_failed", "task_cancelled"]);

/** Mounts the page of run `id` in `main`. */
export function mount(main, id, url) {
  document.title = `Run ${id} · Petit`;
  const title = h("h1", {}, `Run ${id}`);
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "/" }, "Jobs"), " / …");
  const actions = h("div", { class: "actions" });
  const facts = h("dl", { class: "facts" });
  const notes = notificationList();
  const graph = h("div", {}, h("p", { class: "muted" }, "…"));
  const timeline = h("div");
  const tasksBox = h("div");
  const logTitle = h("h2", { id: "logs" }, "Logs");
  const attemptSelect = h("select", { name: "attempt" });
  const attemptLabel = h("label", { hidden: true }, "Attempt ", attemptSelect);
  const logs = new LogView();
  const liveStarts = new Map();
  let run = null;
  let attempts = [];
  let jobTasks = null;
  let selection = {
    task: url.searchParams.get("task"),
    attempt: Number(url.searchParams.get("attempt")) || null,
  };
  let ticker = 0;
  const failed = (err) => notify("bad", err.message);

  main.append(
    crumbs,
    h("div", { class: "page-head" }, title, actions),
    facts,
    notes.element,
    h("section", {}, h("h2", {}, "Tasks"), graph),
    h("section", {}, h("h2", {}, "Timeline"), timeline),
    h("section", {}, tasksBox),
    h(
      "section",
      { class: "logs-section" },
      h("div", { class: "logs-head" }, logTitle, attemptLabel),
      logs.element,
    ),
  );

  attemptSelect.addEventListener("change", () => {
    const u = new URL(location.href);
    u.searchParams.set("attempt", attemptSelect.value);
    history.replaceState(null, "", u);
    selection = { ...selection, attempt: Number(attemptSelect.value) };
    showLogs();
  });

  const taskOf = (taskId) => run?.tasks.find((t) => t.task_id === taskId) ?? null;

  /** The task whose logs show: the chosen one, else a running, failed or started one. */
  const chosenTask = () =>
    taskOf(selection.task) ??
      run.tasks.find((t) => t.status === "running") ??
      run.tasks.find((t) => t.status === "failed") ??
      run.tasks.find((t) => t.attempts > 0) ?? null;

  const showLogs = () => {
    const task = chosenTask();
    if (!task) {
      logTitle.textContent = "Logs";
      attemptLabel.hidden = true;
      logs.stop();
      fill(logs.body);
      logs.note.textContent = run.tasks.length ? "No task has started." : "This run has no tasks.";
      return;
    }
    logTitle.textContent = `Logs: ${task.task_id}`;
    if (task.attempts === 0) {
      attemptLabel.hidden = true;
      logs.stop();
      logs.key = null;
      fill(logs.body);
      logs.note.textContent = `Task ${task.task_id} has not started (${task.status}).`;
      return;
    }
    const attempt = Math.min(selection.attempt ?? task.attempts, task.attempts);
    fill(
      attemptSelect,
      Array.from(
        { length: task.attempts },
        (_, i) => h("option", { value: i + 1 }, `${i + 1} of ${task.attempts}`),
      ),
    );
    attemptSelect.value = String(attempt);
    attemptLabel.hidden = task.attempts < 2;
    logs.show(id, task.task_id, attempt, task.status === "running" && attempt === task.attempts);
  };

  const render = () => {
    document.title = `${run.job_id} run ${run.id} · Petit`;
    fill(
      crumbs,
      h("a", { href: "/" }, "Jobs"),
      " / ",
      h("a", { href: pageHref("jobs", run.job_id) }, run.job_id),
      ` / ${run.id}`,
    );
    fill(
      facts,
      h("dt", {}, "Status"),
      h("dd", {}, badge(run.status)),
      h("dt", {}, "Job"),
      h("dd", {}, h("a", { href: pageHref("jobs", run.job_id) }, run.job_id)),
      h("dt", {}, "Trigger"),
      h("dd", {}, run.trigger),
      h("dt", {}, "Started"),
      h("dd", { title: iso(run.started_at) }, when(run.started_at)),
      h("dt", {}, "Took"),
      h("dd", {}, run.ended_at === null ? "running" : took(run.duration_ms)),
      run.scheduled_for === null ? null : [
        h("dt", {}, "Slot"),
        h("dd", { title: iso(run.scheduled_for) }, when(run.scheduled_for)),
      ],
      Object.keys(run.params).length === 0 ? null : [
        h("dt", {}, "Params"),
        h(
          "dd",
          { class: "params" },
          Object.entries(run.params).map((
            [k, v],
            i,
          ) => [i ? " " : null, h("code", {}, `${k}=${v}`)]),
        ),
      ],
      run.parent_run_id === null ? null : [
        h("dt", {}, "Parent run"),
        h("dd", {}, h("a", { href: pageHref("runs", run.parent_run_id) }, run.parent_run_id)),
      ],
      run.retry_of === null ? null : [
        h("dt", {}, "Retry of"),
        h("dd", {}, h("a", { href: pageHref("runs", run.retry_of) }, run.retry_of)),
      ],
      run.reason === null ? null : [h("dt", {}, "Reason"), h("dd", { class: "wrap" }, run.reason)],
      run.error === null ? null : [h("dt", {}, "Error"), h("dd", { class: "wrap bad" }, run.error)],
    );
    const running = run.status === "running";
    const finishedRun = !running && run.status !== "skipped";
    fill(
      actions,
      running ? h("button", { type: "button", class: "danger", onclick: cancel }, "Cancel") : null,
      finishedRun ? h("button", { type: "button", onclick: retry }, "Retry") : null,
    );
    const status = new Map(run.tasks.map((t) => [t.task_id, t.status]));
    const shape = jobTasks ?? run.tasks.map((t) => ({ id: t.task_id, depends_on: [] }));
    fill(
      graph,
      shape.length === 0 ? h("p", { class: "muted" }, "No tasks ran.") : dagView(shape, {
        statusOf: (taskId) => status.get(taskId) ?? "pending",
        hrefOf: (taskId) => pageHref("runs", id, { task: taskId }),
      }),
    );
    renderTimeline();
    renderTasks();
    showLogs();
    clearInterval(ticker);
    if (running) ticker = setInterval(renderTimeline, 1000);
  };

  const renderTimeline = () => {
    fill(
      timeline,
      run.tasks.length === 0
        ? h("p", { class: "muted" }, "Nothing ran.")
        : ganttView(run, run.tasks, attempts, liveStarts),
    );
  };

  const renderTasks = () => {
    const selected = chosenTask()?.task_id;
    fill(
      tasksBox,
      h(
        "div",
        { class: "table-box" },
        h(
          "table",
          { class: "stack tasks" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Task", "Status", "Attempts", "Started", "Took", "Exit", "Error"].map((t) =>
                h("th", { scope: "col" }, t)
              ),
            ),
          ),
          h(
            "tbody",
            {},
            run.tasks.map((t) =>
              h(
                "tr",
                { "data-task": t.task_id, class: t.task_id === selected ? "selected" : null },
                h(
                  "td",
                  { "data-label": "Task" },
                  h("a", {
                    href: pageHref("runs", id, { task: t.task_id }),
                    "aria-current": t.task_id === selected ? "true" : null,
                  }, t.task_id),
                ),
                h("td", { "data-label": "Status" }, badge(t.status)),
                h("td", { "data-label": "Attempts" }, String(t.attempts)),
                h("td", { "data-label": "Started", title: iso(t.started_at) }, when(t.started_at)),
                h("td", { "data-label": "Took" }, took(t.duration_ms)),
                h("td", { "data-label": "Exit" }, t.exit_code === null ? "–" : String(t.exit_code)),
                h("td", { "data-label": "Error", class: "wrap" }, t.error),
              )
            ),
          ),
        ),
      ),
    );
  };

  const load = async () => {
    const [detail, list] = await Promise.all([
      api(apiPath("runs", id)),
      api(apiPath("runs", id, "attempts")),
    ]);
    run = detail;
    attempts = list.attempts;
    if (jobTasks === null) {
      try {
        const job = await api(apiPath("jobs", run.job_id));
        jobTasks = job.tasks.map((t) => ({ id: t.id, depends_on: t.depends_on }));
      } catch {
        // The job is no longer loaded: the graph shows the run's tasks without edges.
      }
    }
    render();
  };

  const cancel = async () => {
    try {
      await post(apiPath("runs", id, "cancel"));
      notify("ok", `Cancelling run ${id}.`);
    } catch (err) {
      failed(err);
    }
  };
  const retry = async () => {
    try {
      const started = await post(apiPath("runs", id, "retry"));
      navigate(pageHref("runs", started.run_id));
      notify("ok", `Retrying run ${id} as run ${started.run_id}.`);
    } catch (err) {
      failed(err);
    }
  };

  void load().catch((err) => {
    if (err.status === 404) {
      fill(facts, h("p", { class: "warn" }, err.message));
      fill(graph);
      return;
    }
    failed(err);
  });
  const refresh = debounce(() => void load().catch(failed), 100);

  return {
    onEvent(event) {
      if (event.run_id !== id) return;
      if (event.type.startsWith("notification_")) notes.add(event);
      if (event.type === "task_started") {
        liveStarts.set(`${event.task_id}#${event.attempt}`, event.at);
      }
      if (
        event.type === "task_started" || ATTEMPT_ENDS.has(event.type) ||
        event.type.startsWith("job_") || event.type === "task_skipped"
      ) {
        refresh();
      }
    },
    update(next) {
      selection = {
        task: next.searchParams.get("task"),
        attempt: Number(next.searchParams.get("attempt")) || null,
      };
      if (!run) return;
      renderTasks();
      showLogs();
      document.getElementById("logs")?.scrollIntoView({ block: "start" });
    },
    close() {
      clearInterval(ticker);
      logs.stop();
    },
  };
}
