/**
 * The log viewer of a run's page: one attempt of one task. A running attempt is tailed live
 * from the follow stream (`…/logs?follow=true`, `event: line` with `{stream, line, attempt}`,
 * then `event: end`); a server without that stream answers 400, and the viewer shows the
 * stored logs instead, which the page reloads when the attempt ends. The view keeps its
 * scroll position, unless it was at the bottom: then it follows new lines.
 *
 * @module
 */

import { apiPath, request } from "./api.js";
import { fill, h } from "./dom.js";
import { readEvents } from "./sse.js";

/** Whether a scrolled box shows its last line. */
const atBottom = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 8;

/** A log viewer; `element` goes in the page, `show()` picks what it shows. */
export class LogView {
  constructor() {
    this.body = h("pre", { class: "log", tabindex: "0", "aria-label": "log output" });
    this.note = h("p", { class: "log-note muted", "aria-live": "polite" });
    this.element = h("div", { class: "log-view" }, this.body, this.note);
    this.abort = null;
    this.key = null;
    this.following = false;
  }

  /** Changes the content, keeping the scroll position unless it was at the bottom. */
  #update(change) {
    const follow = atBottom(this.body);
    change();
    if (follow) this.body.scrollTop = this.body.scrollHeight;
  }

  /**
   * Shows attempt `attempt` of `task` in run `runId`; `running` when that attempt is still
   * running. Showing the attempt it follows again does nothing; showing a finished attempt
   * again reloads it (keeping the scroll position).
   */
  show(runId, task, attempt, running) {
    const key = `${runId}/${task}/${attempt}`;
    if (key === this.key && this.following && running) return;
    const same = key === this.key;
    this.stop();
    this.key = key;
    if (!same) {
      fill(this.body);
      this.note.textContent = "";
    }
    const abort = new AbortController();
    this.abort = abort;
    if (running) void this.#follow(runId, task, attempt, abort.signal);
    else void this.#load(runId, task, attempt, false, abort.signal);
  }

  /** Stops following. */
  stop() {
    this.abort?.abort();
    this.abort = null;
    this.following = false;
  }

  /** Appends `lines` (`{stream, line}`) once per frame. */
  #appender() {
    let pending = [];
    let frame = 0;
    const flush = () => {
      cancelAnimationFrame(frame);
      frame = 0;
      const lines = pending;
      pending = [];
      if (lines.length === 0) return;
      this.#update(() => {
        for (const { stream, line } of lines) {
          this.body.append(
            stream === "stderr" ? h("span", { class: "err" }, `${line}\n`) : `${line}\n`,
          );
        }
      });
    };
    return {
      push(line) {
        pending.push(line);
        frame ||= requestAnimationFrame(flush);
      },
      flush,
    };
  }

  async #follow(runId, task, attempt, signal) {
    this.following = true;
    // The stream goes on with later attempts; this view stops at the end of its own.
    const stream = new AbortController();
    const stopStream = () => stream.abort();
    signal.addEventListener("abort", stopStream, { once: true });
    const path = `${apiPath("runs", runId, "tasks", task, "logs")}?follow=true&attempt=${attempt}`;
    let ended = false;
    try {
      const res = await request(path, {
        headers: { accept: "text/event-stream" },
        signal: stream.signal,
      });
      if (!(res.ok && (res.headers.get("content-type") ?? "").includes("text/event-stream"))) {
        await res.body?.cancel();
        // No follow stream here (an older server answers 400, a run of another process 409):
        // the stored logs, which the page reloads when the attempt ends.
        return await this.#load(runId, task, attempt, true, signal);
      }
      this.#update(() => fill(this.body));
      this.note.textContent = "Live: following the running attempt.";
      const lines = this.#appender();
      try {
        await readEvents(res.body, (ev) => {
          const data = JSON.parse(ev.data);
          if (ended || data.attempt !== attempt) return;
          if (ev.event === "line") lines.push(data);
          else if (ev.event === "end") {
            ended = true;
            stream.abort();
          }
        });
      } catch (err) {
        if (!ended) throw err; // the abort that follows the end is expected
      }
      lines.flush();
      if (!signal.aborted) {
        this.following = false;
        await this.#load(runId, task, attempt, false, signal);
      }
    } catch (err) {
      if (!signal.aborted) this.note.textContent = `Logs unavailable: ${err.message}`;
    } finally {
      signal.removeEventListener("abort", stopStream);
    }
  }

  async #load(runId, task, attempt, running, signal) {
    const path = `${apiPath("runs", runId, "tasks", task, "logs")}?attempt=${attempt}&format=json`;
    try {
      const res = await request(path, { headers: { accept: "application/json" }, signal });
      const body = await res.json();
      if (signal.aborted) return;
      if (!res.ok) {
        this.#update(() => fill(this.body));
        this.note.textContent = running
          ? "The attempt is running: its output shows here when it ends."
          : body.error ?? `HTTP ${res.status}`;
        return;
      }
      this.#update(() => {
        fill(this.body, body.stdout);
        if (body.stderr) {
          if (body.stdout && !body.stdout.endsWith("\n")) this.body.append("\n");
          this.body.append(h("span", { class: "err" }, body.stderr));
        }
      });
      const notes = [];
      if (body.running) notes.push("The attempt is running: its output so far.");
      else if (running) notes.push("The attempt is running: its output shows here when it ends.");
      else if (body.ended_at !== null) {
        const how = body.exit_code === null ? "ended" : `exit ${body.exit_code}`;
        notes.push(
          `Attempt ${body.attempt} of ${body.attempts}: ${how}${
            body.error ? ` (${body.error})` : ""
          }.`,
        );
      }
      if (!body.stdout && !body.stderr && !running) notes.push("No output.");
      for (const stream of ["stdout", "stderr"]) {
        if (body[`${stream}_truncated`]) {
          notes.push(
            `${stream} truncated: ${body[`${stream}_bytes`]} bytes produced, the first MiB kept.`,
          );
        }
      }
      this.note.textContent = notes.join(" ");
    } catch (err) {
      if (!signal.aborted) this.note.textContent = `Logs unavailable: ${err.message}`;
    }
  }
}
