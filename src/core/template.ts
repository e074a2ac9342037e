/**
 * `{{ … }}` templates in task fields: `config.KEY`, `params.NAME`, `tasks.ID.stdout`,
 * `tasks.ID.exit_code`, `tasks.ID.outputs.KEY`, `job.id`, `run.id`. Only expressions whose
 * first word is one of `config`, `params`, `tasks`, `job`, `run` are Petit's; anything else
 * (`{{.Names}}` for docker, say) is left as written.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTemplate, scanTemplate } from "./template.ts";
 *
 * const text = 'pg_dump -h {{ config.host }} > {{ run.id }}.sql && docker ps -f "{{.Names}}"';
 * assert.equal(scanTemplate(text).length, 2); // docker's {{.Names}} is not Petit's
 * const ctx = { jobId: "backup", runId: "r1", config: { host: "db" }, tasks: new Map() };
 * assert.equal(renderTemplate(text, ctx), 'pg_dump -h db > r1.sql && docker ps -f "{{.Names}}"');
 * ```
 *
 * @module
 */

/** A parsed template reference. */
export type TemplateRef =
  | { readonly kind: "config"; readonly key: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "stdout"; readonly taskId: string }
  | { readonly kind: "exit_code"; readonly taskId: string }
  | { readonly kind: "output"; readonly taskId: string; readonly key: string }
  | { readonly kind: "job_id" }
  | { readonly kind: "run_id" };

/** One `{{ … }}` occurrence in a string. */
export interface TemplatePart {
  /** Offset of `{{` in the string. */
  readonly start: number;
  /** Offset just after `}}`. */
  readonly end: number;
  /** The expression between the braces, trimmed. */
  readonly expression: string;
  /** The reference, or null with `error` set when the expression is Petit's but malformed. */
  readonly ref: TemplateRef | null;
  readonly error: string | null;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const ROOTS = new Set(["config", "params", "tasks", "job", "run"]);

/** Finds Petit's template references in a string (others are ignored). */
export function scanTemplate(text: string): TemplatePart[] {
  if (!text.includes("{{")) return [];
  const parts: TemplatePart[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const expression = match[1];
    const root = expression.split(".", 1)[0];
    if (!ROOTS.has(root)) continue;
    const start = match.index;
    const end = start + match[0].length;
    const parsed = parseExpression(expression);
    parts.push({
      start,
      end,
      expression,
      ref: typeof parsed === "string" ? null : parsed,
      error: typeof parsed === "string" ? parsed : null,
    });
  }
  return parts;
}

function parseExpression(expression: string): TemplateRef | string {
  const words = expression.split(".");
  const bad =
    `unknown template "{{ ${expression} }}" (use config.KEY, params.NAME, tasks.ID.stdout, ` +
    `tasks.ID.exit_code, tasks.ID.outputs.KEY, job.id or run.id)`;
  switch (words[0]) {
    case "config":
      return words.length >= 2 && words[1] !== ""
        ? { kind: "config", key: words.slice(1).join(".") }
        : bad;
    case "params":
      return words.length === 2 && words[1] !== "" ? { kind: "param", name: words[1] } : bad;
    case "job":
      return expression === "job.id" ? { kind: "job_id" } : bad;
    case "run":
      return expression === "run.id" ? { kind: "run_id" } : bad;
    case "tasks": {
      const rest = words.slice(1);
      const outputsAt = rest.lastIndexOf("outputs");
      if (outputsAt > 0 && outputsAt === rest.length - 2) {
        return {
          kind: "output",
          taskId: rest.slice(0, outputsAt).join("."),
          key: rest[outputsAt + 1],
        };
      }
      const field = rest.at(-1);
      const taskId = rest.slice(0, -1).join(".");
      if (taskId !== "" && field === "stdout") return { kind: "stdout", taskId };
      if (taskId !== "" && field === "exit_code") return { kind: "exit_code", taskId };
      return bad;
    }
  }
  return bad;
}

/** Values a template is rendered with. */
export interface TemplateContext {
  readonly jobId: string;
  readonly runId: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** The run's parameters (`{{ params.NAME }}`); none when absent. */
  readonly params?: Readonly<Record<string, string>>;
  /** Finished upstream tasks. */
  readonly tasks: ReadonlyMap<string, UpstreamTask>;
  /**
   * The entries of `tasks` that wrote outputs, in its order, when the caller can tell them
   * without listing every upstream task (the runner knows when no task wrote any); when
   * absent, `tasks` is read whole.
   */
  readonly upstreamOutputs?: () => Iterable<readonly [string, UpstreamTask]>;
}

/** What a finished upstream task offers a template. */
export interface UpstreamTask {
  /** Its standard output (kept part). */
  readonly stdout: string;
  /** Its exit code, or null. */
  readonly exitCode: number | null;
  /** The `key=value` outputs it wrote. */
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * Replaces Petit's references. The loader has already rejected unknown config keys and
 * tasks that are not upstream, so a miss here (a skipped upstream task, an output that
 * was not written) renders as an empty string.
 */
export function renderTemplate(text: string, ctx: TemplateContext): string {
  const parts = scanTemplate(text);
  if (parts.length === 0) return text;
  let out = "";
  let at = 0;
  for (const part of parts) {
    out += text.slice(at, part.start) + (part.ref ? resolve(part.ref, ctx) : "");
    at = part.end;
  }
  return out + text.slice(at);
}

function resolve(ref: TemplateRef, ctx: TemplateContext): string {
  switch (ref.kind) {
    case "config": {
      const value = ctx.config[ref.key];
      return value === null || value === undefined ? "" : String(value);
    }
    case "param":
      // Own keys only: `{{ params.constructor }}` names no parameter.
      return ctx.params && Object.hasOwn(ctx.params, ref.name) ? ctx.params[ref.name] : "";
    case "job_id":
      return ctx.jobId;
    case "run_id":
      return ctx.runId;
    case "stdout":
      return ctx.tasks.get(ref.taskId)?.stdout.trim() ?? "";
    case "exit_code": {
      const code = ctx.tasks.get(ref.taskId)?.exitCode;
      return code === null || code === undefined ? "" : String(code);
    }
    case "output":
      return ctx.tasks.get(ref.taskId)?.outputs[ref.key] ?? "";
  }
}
