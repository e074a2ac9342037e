/**
 * Reading server-sent events (`text/event-stream`) from a fetch body, as the API's
 * `/api/events` and the logs follow stream send them. {@link SseParser} is the pure part
 * (text in, messages out); {@link readSse} feeds it from a stream and gives up when the
 * stream goes quiet for too long (a dead connection sends no FIN).
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { SseParser } from "./sse.ts";
 *
 * const parser = new SseParser();
 * assert.deepEqual(parser.push(": hi\n\nevent: line\ndata: {\"a\":1}\nid: 7\n\n"), [
 *   { event: "line", data: '{"a":1}', id: "7" },
 * ]);
 * ```
 *
 * @module
 */

/** One dispatched event. */
export interface SseMessage {
  /** `event:` (default `message`). */
  readonly event: string;
  /** The `data:` lines joined with newlines. */
  readonly data: string;
  /** `id:` of this message, or null when it had none. */
  readonly id: string | null;
}

/** Turns chunks of an event stream into messages (any chunking, `\n`, `\r\n` or `\r`). */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | null = null;
  #hasField = false;

  /** Adds text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    this.#buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === "\r" && m.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | null {
    if (line === "") {
      if (!this.#hasField) return null;
      const message = {
        event: this.#event || "message",
        data: this.#data.join("\n"),
        id: this.#id,
      };
      this.#event = "";
      this.#data = [];
      this.#id = null;
      this.#hasField = false;
      // An `id:` without data only moves the last event id; it is still told, as a message
      // with empty data, so the reader can remember the id.
      return message;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    this.#hasField = true;
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    return null;
  }
}

/** The stream sent nothing, not even a heartbeat, for too long. */
export class SseQuietError extends Error {
  /** Builds the error. */
  constructor(ms: number) {
    super(`no data for ${Math.round(ms / 1000)}s`);
    this.name = "SseQuietError";
  }
}

/**
 * Reads `body` to its end, calling `onMessage` for each message. Rejects with
 * {@link SseQuietError} (and cancels the body) when nothing arrives for `quietMs` (0: wait
 * for ever, for a stream that sends no heartbeat).
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: SseMessage) => void,
  quietMs = 0,
): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let quiet = false;
  let ended = false;
  const arm = () => {
    clearTimeout(timer);
    if (quietMs <= 0) return;
    timer = setTimeout(() => {
      quiet = true;
      reader.cancel().catch(() => {});
    }, quietMs);
  };
  try {
    arm();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arm();
      for (const message of parser.push(value)) onMessage(message);
    }
    ended = true;
    if (quiet) throw new SseQuietError(quietMs);
  } finally {
    clearTimeout(timer);
    // Leaving early (a listener threw, an abort): let go of the connection too.
    if (!ended) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
