/**
 * The output of a Kubernetes attempt: the container's log as the task's stdout (capped,
 * masked and passed on line by line, as a process's), Petit's own notes (waits, failures)
 * as its stderr, and the outputs the container printed as `::petit-output key=value` lines
 * (read before masking, as `$PETIT_OUTPUT` files are). Also the attempt's result from how it
 * ended. No I/O.
 *
 * @module
 */

import type { AttemptLogs } from "../../events/types.ts";
import { MAX_OUTPUT_FILE_BYTES, parseOutputs } from "../command.ts";
import { LineSplitter } from "../process/capture.ts";
import { Capture, type CapturedOutput, DEFAULT_MAX_LOG_BYTES } from "../process/mod.ts";
import type { AttemptContext, AttemptResult } from "./contract.ts";

/**
 * The start of a log line that sets an output of a Kubernetes task: the rest of the line is
 * `key=value`, as a line of a `$PETIT_OUTPUT` file. The line stays in the log too.
 *
 * @default {"::petit-output "}
 */
export const OUTPUT_LINE_PREFIX = "::petit-output ";

/** How an attempt ended, before it is turned into an {@linkcode AttemptResult}. */
export type Ending =
  | { readonly kind: "ok" }
  | { readonly kind: "cancelled" }
  | { readonly kind: "timeout" }
  | {
    readonly kind: "failed";
    readonly error: string;
    readonly transient: boolean;
    /** The container's exit code, when it ended with one. */
    readonly exitCode?: number;
  };

const encoder = new TextEncoder();

/** The captures and outputs of one Kubernetes attempt. */
export class KubeAttemptOutput {
  /** The log (stdout) and Petit's notes (stderr), readable while the attempt runs. */
  readonly captures: CapturedOutput;
  readonly #stdout: Capture;
  readonly #stderr: Capture;
  readonly #outputLines: LineSplitter;
  readonly #outputs: Record<string, string> = {};
  #outputBytes = 0;

  /** Captures with the context's limit, line consumer and secrets mask. */
  constructor(ctx: Pick<AttemptContext, "maxLogBytes" | "onLine" | "mask">) {
    const max = ctx.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    const onLine = ctx.onLine;
    const capture = (stream: "stdout" | "stderr") =>
      new Capture(
        max,
        onLine ? new LineSplitter((l) => onLine(stream, l)) : null,
        ctx.mask?.stream() ?? null,
      );
    this.#stdout = capture("stdout");
    this.#stderr = capture("stderr");
    this.captures = { stdout: this.#stdout, stderr: this.#stderr };
    this.#outputLines = new LineSplitter((line) => this.#outputLine(line));
  }

  /** Bytes of the container's log. */
  push(chunk: Uint8Array): void {
    this.#outputLines.push(chunk);
    this.#stdout.push(chunk);
  }

  /** A line of Petit's own on the attempt's stderr. */
  note(text: string): void {
    this.#stderr.push(encoder.encode(`${text}\n`));
  }

  #outputLine(line: string): void {
    if (!line.startsWith(OUTPUT_LINE_PREFIX)) return;
    // As much as an outputs file may hold, in all.
    this.#outputBytes += line.length;
    if (this.#outputBytes > MAX_OUTPUT_FILE_BYTES) return;
    Object.assign(this.#outputs, parseOutputs(line.slice(OUTPUT_LINE_PREFIX.length)));
  }

  /** The attempt's result; a failure's reason is written on stderr too (the event's tail). */
  result(startedAt: number, ending: Ending, timeoutMs: number | null): AttemptResult {
    if (ending.kind === "failed") this.note(ending.error);
    this.#outputLines.flush();
    const logs: AttemptLogs = {
      started_at: startedAt,
      ended_at: Date.now(),
      stdout: this.#stdout.text(),
      stderr: this.#stderr.text(),
      stdout_truncated: this.#stdout.truncated,
      stderr_truncated: this.#stderr.truncated,
      stdout_bytes: this.#stdout.total,
      stderr_bytes: this.#stderr.total,
      outputs: { ...this.#outputs },
    };
    switch (ending.kind) {
      case "ok":
        return { ok: true, cancelled: false, transient: false, exitCode: 0, error: "", logs };
      case "cancelled":
        return {
          ok: false,
          cancelled: true,
          transient: false,
          exitCode: null,
          error: "cancelled",
          logs,
        };
      case "timeout":
        return {
          ok: false,
          cancelled: false,
          transient: true,
          exitCode: null,
          error: `timed out after ${timeoutMs} ms`,
          logs,
        };
      case "failed":
        return {
          ok: false,
          cancelled: false,
          transient: ending.transient,
          exitCode: ending.exitCode ?? null,
          error: ending.error,
          logs,
        };
    }
  }
}
