/**
 * The {@linkcode RunAttempt} of HTTP tasks (`type: http`): renders the request's templates,
 * sends it with `fetch` and keeps the response body as the task's stdout, through the same
 * capped capture as a process's output (the first 1 MiB kept, the rest counted, readable
 * while it arrives). The status code is the output `status`; a status outside
 * `expect_status` fails the attempt. A timeout or a cancel aborts the request, body
 * included. Needs --allow-net.
 *
 * @module
 */

import { longTimeout } from "../../core/delay.ts";
import type { ExpectedStatus, HttpSpec, TaskSpec } from "../../core/model.ts";
import { renderTemplate, type TemplateContext } from "../../core/template.ts";
import { LineSplitter } from "../process/capture.ts";
import { Capture, DEFAULT_MAX_LOG_BYTES } from "../process/mod.ts";
import { type AttemptContext, type AttemptResult, emptyLogs, type RunAttempt } from "./contract.ts";

const encoder = new TextEncoder();

/** Whether `status` is one of `expected`: a code equal to it, or its class (`2xx`). */
export function statusExpected(status: number, expected: readonly ExpectedStatus[]): boolean {
  return expected.some((e) =>
    typeof e === "number" ? e === status : Math.floor(status / 100) === Number(e[0])
  );
}

/** How the attempt ended, before it is turned into an {@linkcode AttemptResult}. */
type Ending =
  | { readonly kind: "ok" }
  | { readonly kind: "cancelled" }
  | {
    readonly kind: "failed";
    readonly error: string;
    readonly transient: boolean;
    /** A timeout: nothing is written on stderr, as for processes. */
    readonly timeout?: true;
  };

/** Runs one attempt of an HTTP task: render, send, capture the body, check the status. */
export const runHttpAttempt: RunAttempt = async (
  task: TaskSpec,
  ctx: AttemptContext,
): Promise<AttemptResult> => {
  const startedAt = Date.now();
  const spec = task.http;
  if (!spec) throw new Error(`task "${task.id}" has no HTTP request`);
  ctx.started({ pgid: null, procStart: null });
  if (ctx.signal?.aborted) {
    return {
      ok: false,
      cancelled: true,
      transient: false,
      exitCode: null,
      error: "cancelled",
      logs: emptyLogs(startedAt),
    };
  }
  const max = ctx.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
  const onLine = ctx.onLine;
  // Masked as captured (the job's secrets), so the live logs never show a secret value either.
  const stdout = new Capture(
    max,
    onLine ? new LineSplitter((l) => onLine("stdout", l)) : null,
    ctx.mask?.stream() ?? null,
  );
  const stderr = new Capture(
    max,
    onLine ? new LineSplitter((l) => onLine("stderr", l)) : null,
    ctx.mask?.stream() ?? null,
  );
  ctx.onCapture?.({ stdout, stderr });

  const controller = new AbortController();
  const onAbort = () => controller.abort(new Error("cancelled"));
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer = ctx.timeoutMs !== null
    ? longTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, ctx.timeoutMs)
    : null;
  const outputs: Record<string, string> = {};
  let ending: Ending;
  try {
    const request = buildRequest(spec, ctx.templates, controller.signal);
    if (typeof request === "string") ending = { kind: "failed", error: request, transient: false };
    else {
      const response = await fetch(request);
      outputs.status = String(response.status);
      // Read to the end even past the cap: the bytes dropped are counted.
      if (response.body) { for await (const chunk of response.body) stdout.push(chunk); }
      ending = statusExpected(response.status, spec.expectStatus)
        ? { kind: "ok" }
        : { kind: "failed", error: statusError(response, spec.expectStatus), transient: false };
    }
  } catch (err) {
    ending = timedOut
      ? {
        kind: "failed",
        error: `timed out after ${ctx.timeoutMs} ms`,
        transient: true,
        timeout: true,
      }
      : controller.signal.aborted
      ? { kind: "cancelled" }
      // Refused, reset, DNS, TLS: what a retry may not meet again.
      : { kind: "failed", error: `request failed: ${networkError(err)}`, transient: true };
  } finally {
    timer?.clear();
    ctx.signal?.removeEventListener("abort", onAbort);
  }
  // The reason on stderr too, where `task_failed` takes its tail from (as for TypeScript tasks).
  if (ending.kind === "failed" && !ending.timeout) stderr.push(encoder.encode(`${ending.error}\n`));
  return {
    ok: ending.kind === "ok",
    cancelled: ending.kind === "cancelled",
    transient: ending.kind === "failed" && ending.transient,
    exitCode: null,
    error: ending.kind === "failed" ? ending.error : ending.kind === "cancelled" ? "cancelled" : "",
    logs: {
      started_at: startedAt,
      ended_at: Date.now(),
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdout_truncated: stdout.truncated,
      stderr_truncated: stderr.truncated,
      stdout_bytes: stdout.total,
      stderr_bytes: stderr.total,
      outputs,
    },
  };
};

/**
 * The request with its templates rendered, or why it cannot be sent (a rendered URL that is
 * not http or https, a header value with a line break): a mistake no retry mends.
 */
function buildRequest(
  spec: HttpSpec,
  templates: TemplateContext,
  signal: AbortSignal,
): Request | string {
  const render = (text: string) => renderTemplate(text, templates);
  const url = render(spec.url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `invalid request: url is not a URL once rendered (${JSON.stringify(url)})`;
  }
  // fetch also reads file:, data: and blob: URLs; an HTTP task only sends HTTP requests.
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `invalid request: url is not an http or https URL once rendered (${parsed.protocol})`;
  }
  const headers: [string, string][] = Object.entries(spec.headers).map(([k, v]) => [k, render(v)]);
  try {
    return new Request(parsed, {
      method: spec.method,
      headers,
      body: spec.body === null ? undefined : render(spec.body),
      signal,
    });
  } catch (err) {
    return `invalid request: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** `HTTP 503 Service Unavailable (expected 2xx)`. */
function statusError(response: Response, expected: readonly ExpectedStatus[]): string {
  const text = response.statusText ? ` ${response.statusText}` : "";
  return `HTTP ${response.status}${text} (expected ${expected.join(", ")})`;
}

/**
 * Why fetch failed, without the URL (it may carry a token rendered from a template): Deno
 * rejects with "fetch failed" and puts the reason in `cause`, "error sending request for
 * url (…): client error (Connect): tcp connect error: Connection refused (os error 111)".
 */
function networkError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/^error sending request for url \(.*?\): /, "");
}
