/**
 * The rules of one job that a shape cannot state: task ids and task dependencies (unknown,
 * repeated, cycles), the fields each task type needs, template references, the job's own
 * dependency entries and its schedule. They run on the raw data, beside the shape check, so
 * one pass reports both kinds of error.
 *
 * @module
 */

import { scanTemplate } from "../../core/template.ts";
import { parseSchedule, type Schedule, ScheduleError } from "../../schedule/schedule.ts";
import { nearest } from "../errors.ts";
import type { YamlFile } from "../yaml_doc.ts";
import { findCycle, Upstream } from "./graph.ts";
import { checkHttpFields } from "./http_rules.ts";
import { label, listKnown, type ReportAt } from "./issues.ts";
import { checkJobTaskFields } from "./job_task_rules.ts";
import { checkKubernetesFields } from "./kube_rules.ts";
import { isRecord, type Path } from "./raw.ts";

/**
 * Checks the task list: unique task ids, task dependencies (self, repeated, unknown, cycles),
 * what each task type needs, and template references. Linear in the tasks: hints are built
 * only for the errors shown, and the graph questions are answered by `graph.ts`.
 */
export function checkTasks(
  yaml: YamlFile,
  raw: Record<string, unknown>,
  at: ReportAt,
): void {
  if (!Array.isArray(raw.tasks)) return;
  const tasks = raw.tasks.map((t, i) => ({ i, t: isRecord(t) ? t : {} }));
  const firstIndex = new Map<string, number>();
  for (const { i, t } of tasks) {
    if (typeof t.id !== "string") continue;
    const first = firstIndex.get(t.id);
    if (first === undefined) firstIndex.set(t.id, i);
    else {
      const line = yaml.valueAt(["tasks", first, "id"]).line;
      at(
        yaml.valueAt(["tasks", i, "id"]),
        `duplicate task id "${t.id}" (first defined on line ${line})`,
      );
    }
  }
  let sorted: string[] | null = null;
  const known = () => (sorted ??= [...firstIndex.keys()].sort());
  const deps = new Map<string, string[]>();
  for (const { i, t } of tasks) {
    const id = typeof t.id === "string" ? t.id : `#${i + 1}`;
    // A task that is not a map was already reported as such; don't pile on.
    if (isRecord(raw.tasks[i])) checkTaskKind(yaml, i, t, at);
    if (!Array.isArray(t.depends_on)) continue;
    const seen = new Set<string>();
    const valid: string[] = [];
    t.depends_on.forEach((dep, j) => {
      if (typeof dep !== "string") return;
      // Positions are looked up for errors only: most dependencies are fine.
      const pos = () => yaml.valueAt(["tasks", i, "depends_on", j]);
      if (dep === id) at(pos(), `task "${id}" depends on itself`);
      else if (seen.has(dep)) at(pos(), `task "${id}" lists dependency "${dep}" twice`);
      else if (!firstIndex.has(dep)) {
        at(pos(), () => {
          const hint = nearest(dep, known());
          return `task "${id}" depends on unknown task "${dep}"` +
            (hint ? ` (did you mean "${hint}"?)` : "") + ` (known tasks: ${listKnown(known())})`;
        });
      } else valid.push(dep);
      seen.add(dep);
    });
    if (typeof t.id === "string" && firstIndex.get(t.id) === i) deps.set(id, valid);
  }
  const cycle = findCycle(deps);
  if (cycle) {
    const i = firstIndex.get(cycle[0])!;
    at(yaml.valueAt(["tasks", i, "depends_on"]), `task dependency cycle: ${cycle.join(" -> ")}`);
  }
  checkTemplates(yaml, raw, tasks, deps, at);
}

const COMMAND = ["command"];

/** The fields a task's type needs, and those it cannot use. */
function checkTaskKind(
  yaml: YamlFile,
  i: number,
  t: Record<string, unknown>,
  at: ReportAt,
): void {
  const where = (key: string) => yaml.keyAt(["tasks", i, key]);
  const type = t.type ?? "command";
  if (type === "command") {
    // A misspelt `command:` is already reported as an unknown key with the right name.
    const misspelt = () => Object.keys(t).some((k) => k !== "command" && nearest(k, COMMAND));
    if (t.command === undefined && !misspelt()) {
      at(
        yaml.valueAt(["tasks", i]),
        `tasks[${i}]: a command task needs "command" (or use type: shell with script)`,
      );
    }
    if (t.script !== undefined) {
      at(where("script"), `tasks[${i}]: "script" needs type: shell or type: python`);
    }
    if (Array.isArray(t.command)) {
      at(
        yaml.valueAt(["tasks", i, "command"]),
        `tasks[${i}].command: a list is for type: kubernetes; type command takes the program ` +
          `as a string and its arguments in "args"`,
      );
    }
  } else if (type === "shell" || type === "python") {
    if (t.script === undefined) {
      at(yaml.valueAt(["tasks", i]), `tasks[${i}]: type ${type} needs "script"`);
    }
    if (t.command !== undefined) {
      at(
        where("command"),
        `tasks[${i}]: "command" is for type: command; type ${type} runs "script"`,
      );
    }
    if (t.args !== undefined) at(where("args"), `tasks[${i}]: "args" is for type: command`);
  }
  checkHttpFields(yaml, i, t, type, at);
  checkJobTaskFields(yaml, i, t, type, at);
  checkKubernetesFields(yaml, i, t, type, at);
  if (t.inline !== undefined && type !== "python") {
    at(where("inline"), `tasks[${i}]: "inline" is for type: python`);
  }
  if (t.timeout !== undefined && t.timeout_secs !== undefined) {
    at(where("timeout"), `tasks[${i}]: give either timeout or timeout_secs, not both`);
  }
  if (isRecord(t.retry) && t.retry.delay !== undefined && t.retry.delay_secs !== undefined) {
    at(
      yaml.keyAt(["tasks", i, "retry", "delay"]),
      `tasks[${i}].retry: give either delay or delay_secs, not both`,
    );
  }
}

/** Template references must resolve: known config keys and params, upstream tasks only. */
function checkTemplates(
  yaml: YamlFile,
  raw: Record<string, unknown>,
  tasks: { i: number; t: Record<string, unknown> }[],
  deps: ReadonlyMap<string, readonly string[]>,
  at: ReportAt,
): void {
  const config = isRecord(raw.config) ? raw.config : {};
  const params = isRecord(raw.params) ? raw.params : {};
  let configKeys: string[] | null = null;
  const check = (
    path: Path,
    text: unknown,
    upstream: Upstream | null,
    taskId: string | null,
  ) => {
    if (typeof text !== "string") return;
    for (const part of scanTemplate(text)) {
      const pos = yaml.insideString(path, part.start);
      const ref = part.ref;
      if (!ref) at(pos, part.error!);
      // Own keys only: `{{ config.constructor }}` is no key of the job's config.
      else if (ref.kind === "config" && !Object.hasOwn(config, ref.key)) {
        at(pos, () => {
          configKeys ??= Object.keys(config).sort();
          return `unknown config key "${ref.key}" in {{ ${part.expression} }}` +
            (configKeys.length
              ? ` (known keys: ${listKnown(configKeys)})`
              : " (the job has no config)");
        });
      } else if (ref.kind === "param" && !Object.hasOwn(params, ref.name)) {
        at(pos, () => {
          const names = Object.keys(params).sort();
          return `unknown param "${ref.name}" in {{ ${part.expression} }}` +
            (names.length ? ` (known params: ${listKnown(names)})` : " (the job has no params)");
        });
      } else if (ref.kind === "stdout" || ref.kind === "exit_code" || ref.kind === "output") {
        if (upstream === null) {
          at(
            pos,
            `{{ ${part.expression} }} can only be used in a task, not in the job's environment`,
          );
        } else if (!upstream.has(taskId!, ref.taskId)) {
          at(
            pos,
            `{{ ${part.expression} }} refers to task "${ref.taskId}", which is not upstream of ` +
              `"${taskId}" (add it to depends_on)`,
          );
        }
      }
    }
  };
  if (isRecord(raw.environment)) {
    for (const [key, value] of Object.entries(raw.environment)) {
      check(["environment", key], value, null, null);
    }
  }
  const upstream = new Upstream(deps);
  for (const { i, t } of tasks) {
    const taskId = typeof t.id === "string" ? t.id : `#${i + 1}`;
    check(["tasks", i, "command"], t.command, upstream, taskId);
    if (Array.isArray(t.command)) {
      t.command.forEach((c, j) => check(["tasks", i, "command", j], c, upstream, taskId));
    }
    check(["tasks", i, "image"], t.image, upstream, taskId);
    check(["tasks", i, "script"], t.script, upstream, taskId);
    check(["tasks", i, "working_dir"], t.working_dir, upstream, taskId);
    check(["tasks", i, "url"], t.url, upstream, taskId);
    check(["tasks", i, "body"], t.body, upstream, taskId);
    if (isRecord(t.headers)) {
      for (const [name, value] of Object.entries(t.headers)) {
        check(["tasks", i, "headers", name], value, upstream, taskId);
      }
    }
    if (Array.isArray(t.args)) {
      t.args.forEach((a, j) => check(["tasks", i, "args", j], a, upstream, taskId));
    }
    if (isRecord(t.params)) {
      for (const [name, value] of Object.entries(t.params)) {
        check(["tasks", i, "params", name], value, upstream, taskId);
      }
    }
    if (isRecord(t.environment)) {
      for (const [key, value] of Object.entries(t.environment)) {
        check(["tasks", i, "environment", key], value, upstream, taskId);
      }
    }
  }
}

/** Checks the job's `depends_on` entries and returns the upstream job ids with their paths. */
export function collectJobDeps(
  yaml: YamlFile,
  raw: Record<string, unknown>,
  at: ReportAt,
): { jobId: string; path: Path }[] {
  if (!Array.isArray(raw.depends_on)) return [];
  const out: { jobId: string; path: Path }[] = [];
  raw.depends_on.forEach((dep, j) => {
    const path = ["depends_on", j];
    if (typeof dep === "string") {
      out.push({ jobId: dep, path });
      return;
    }
    if (!isRecord(dep)) return;
    if (dep.job !== undefined && dep.job_id !== undefined) {
      at(yaml.keyAt([...path, "job_id"]), `depends_on[${j}]: give either job or job_id, not both`);
    }
    const jobId = dep.job ?? dep.job_id;
    if (jobId === undefined) {
      at(yaml.valueAt(path), `depends_on[${j}]: missing required field "job"`);
    }
    if (typeof jobId === "string") {
      out.push({ jobId, path: [...path, dep.job !== undefined ? "job" : "job_id"] });
    }
    if (dep.condition === "within_window" && dep.window === undefined) {
      at(
        yaml.valueAt([...path, "condition"]),
        `depends_on[${j}]: within_window needs "window" (e.g. window: 1h)`,
      );
    }
    if (dep.window !== undefined && dep.condition !== "within_window") {
      at(
        yaml.keyAt([...path, "window"]),
        `depends_on[${j}]: "window" is only used with condition: within_window`,
      );
    }
  });
  return out;
}

/** Checks the schedule and time zone; returns the parsed schedule when both are valid. */
export function checkSchedule(
  yaml: YamlFile,
  raw: unknown,
  at: ReportAt,
): Schedule | null {
  if (!isRecord(raw) || raw.schedule === undefined) {
    if (isRecord(raw) && raw.timezone !== undefined) {
      at(yaml.keyAt(["timezone"]), "timezone is set but the job has no schedule");
    }
    return null;
  }
  const inline = isRecord(raw.schedule);
  const expression = inline ? (raw.schedule as Record<string, unknown>).cron : raw.schedule;
  const tz = inline ? (raw.schedule as Record<string, unknown>).timezone : undefined;
  if (tz !== undefined && raw.timezone !== undefined) {
    at(
      yaml.keyAt(["timezone"]),
      "timezone is given twice (in schedule and at the job level); keep one",
    );
    return null;
  }
  const timezone = tz ?? raw.timezone;
  if (typeof expression !== "string" || (timezone !== undefined && typeof timezone !== "string")) {
    return null;
  }
  try {
    return parseSchedule(expression, timezone as string | undefined);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    const exprPath = inline ? ["schedule", "cron"] : ["schedule"];
    const tzPath = tz !== undefined ? ["schedule", "timezone"] : ["timezone"];
    if (err.field === "timezone") {
      at(yaml.valueAt(tzPath), `${label(tzPath)}: ${err.message}`);
      // The expression may be wrong too: report it in the same pass.
      try {
        parseSchedule(expression);
      } catch (exprErr) {
        if (!(exprErr instanceof ScheduleError)) throw exprErr;
        at(yaml.valueAt(exprPath), exprErr.message);
      }
    } else {
      at(yaml.valueAt(exprPath), err.message);
    }
    return null;
  }
}
