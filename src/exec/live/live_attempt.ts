/**
 * One running attempt's output, readable while it runs: the two captures of its process (the
 * first 1 MiB of each stream, as stored at its end), a small set of listeners woken when
 * bytes are kept or the attempt ends, and readers that take lines from the captures with
 * their own cursors. Nothing is copied per line or per reader. No I/O.
 *
 * @module
 */

import type { LogEndEvent, LogLineEvent } from "../../core/views.ts";
import type { AttemptRecord } from "../../storage/types.ts";
import type { CapturedOutput, KeptOutput } from "../process/mod.ts";
import { type LineCursor, newCursor, takeLines } from "./lines.ts";

/** The two output streams of an attempt. */
export type OutputStream = "stdout" | "stderr";

/** One line of an attempt's output (the `line` event of a followed log). */
export interface OutputLine {
  /** Where it was printed. */
  readonly stream: OutputStream;
  /** The line without its newline, cut at `MAX_LINE_BYTES`. */
  readonly line: string;
  /** The attempt that printed it (1-based). */
  readonly attempt: number;
}

/** How an attempt ended (the `end` event of a followed log). */
export interface AttemptEnd {
  /** The attempt (1-based). */
  readonly attempt: number;
  /** Its own outcome: a failed attempt may be retried. */
  readonly status: "completed" | "failed" | "cancelled";
  /** Exit code, or null. */
  readonly exit_code: number | null;
  /** Why it failed, or null. */
  readonly error: string | null;
  /** Bytes printed past the kept part of each stream, both streams together. */
  readonly dropped_bytes: number;
}

/**
 * `true` when `A` and `B` are the same type. The shapes above are plain interfaces so that
 * the scheduler's types do not reach zod (see `core/statuses.ts`); these checks make
 * `deno check` fail if they and the served views (`core/view_schemas.ts`) ever differ.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
true satisfies Same<OutputLine, LogLineEvent>;
true satisfies Same<AttemptEnd, LogEndEvent>;

const STREAMS: readonly OutputStream[] = ["stdout", "stderr"];

/** The output of one attempt while it runs, and how it ended once it has. */
export class LiveAttempt {
  /** The run. */
  readonly runId: string;
  /** The task. */
  readonly taskId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** When the attempt began, epoch ms. */
  readonly startedAt: number;
  #output: CapturedOutput | null = null;
  #end: AttemptEnd | null = null;
  readonly #listeners = new Set<() => void>();

  /** An attempt that began at `startedAt` (epoch ms), with no output yet. */
  constructor(runId: string, taskId: string, attempt: number, startedAt: number = Date.now()) {
    this.runId = runId;
    this.taskId = taskId;
    this.attempt = attempt;
    this.startedAt = startedAt;
  }

  /** Takes the attempt's captures (once its process started) and reads them from now on. */
  attach(output: CapturedOutput): void {
    if (this.#end !== null || this.#output !== null) return;
    this.#output = output;
    const wake = () => this.#notify();
    output.stdout.onGrow = wake;
    output.stderr.onGrow = wake;
    this.#notify();
  }

  /** How the attempt ended; null while it runs. */
  get end(): AttemptEnd | null {
    return this.#end;
  }

  /** Records how the attempt ended and wakes the listeners (readers still read what was kept). */
  finish(end: AttemptEnd): void {
    if (this.#end !== null) return;
    this.#end = end;
    if (this.#output) {
      this.#output.stdout.onGrow = null;
      this.#output.stderr.onGrow = null;
    }
    this.#notify();
  }

  /**
   * Calls `listener` whenever output was kept or the attempt ended (synchronously, from the
   * capture: it should only schedule work). Returns the function that removes it.
   */
  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Listeners now (readers following the attempt). */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** One stream's capture; null before the process started (or when it never did). */
  output(stream: OutputStream): KeptOutput | null {
    return this.#output?.[stream] ?? null;
  }

  /** The output so far, as the stored record of an attempt that has not ended. */
  logs(): AttemptRecord {
    const text = (k: KeptOutput | null) =>
      // A fresh streaming decoder holds back a character cut by the end of the bytes so far.
      k === null ? "" : new TextDecoder().decode(k.bytes(), { stream: true });
    const out = this.output("stdout");
    const err = this.output("stderr");
    return {
      run_id: this.runId,
      task_id: this.taskId,
      attempt: this.attempt,
      started_at: this.startedAt,
      ended_at: null,
      exit_code: null,
      error: null,
      stdout: text(out),
      stderr: text(err),
      stdout_truncated: out !== null && out.total > out.kept,
      stderr_truncated: err !== null && err.total > err.kept,
      stdout_bytes: out?.total ?? 0,
      stderr_bytes: err?.total ?? 0,
    };
  }

  /** A reader of this attempt's lines, from its first. */
  reader(): AttemptReader {
    return new AttemptReader(this);
  }

  #notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch {
        // A failing reader must not break capture or the other readers.
      }
    }
  }
}

/**
 * Reads an attempt's lines from its first, each once: the complete lines kept so far, and a
 * stream's last, unterminated line once no more bytes will be kept there (the attempt ended,
 * or the stream reached its cap).
 */
export class AttemptReader {
  readonly #attempt: LiveAttempt;
  readonly #cursors: Record<OutputStream, LineCursor> = {
    stdout: newCursor(),
    stderr: newCursor(),
  };

  /** A reader at the start of `attempt`'s output. */
  constructor(attempt: LiveAttempt) {
    this.#attempt = attempt;
  }

  /** The attempt read. */
  get attempt(): LiveAttempt {
    return this.#attempt;
  }

  /**
   * The lines ready now, at most `limit`: stdout's, then stderr's. (A reader that keeps up
   * gets them in the order they came; one that falls behind, one stream's at a time.)
   */
  read(limit: number = Infinity): OutputLine[] {
    const lines: OutputLine[] = [];
    const ended = this.#attempt.end !== null;
    for (const stream of STREAMS) {
      const kept = this.#attempt.output(stream);
      if (kept === null) continue;
      const taken = takeLines(
        kept.bytes(),
        this.#cursors[stream],
        ended || kept.full,
        limit - lines.length,
      );
      for (const line of taken) lines.push({ stream, line, attempt: this.#attempt.attempt });
      if (lines.length >= limit) break;
    }
    return lines;
  }

  /** The attempt ended and every line of it was read. */
  get done(): boolean {
    if (this.#attempt.end === null) return false;
    return STREAMS.every((s) => this.#cursors[s].offset >= (this.#attempt.output(s)?.kept ?? 0));
  }
}
