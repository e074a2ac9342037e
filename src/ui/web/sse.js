/**
 * Server-sent events read with `fetch`, because `EventSource` cannot send the
 * `Authorization` header a token needs (and a token in the URL would end up in logs and
 * history). {@link liveEvents} does what `EventSource` does: it reconnects, and sends the id
 * of the last event it saw as `Last-Event-ID`, so the server replays what was missed.
 *
 * @module
 */

/**
 * Reads an event stream body, calling `onMessage({event, data, id})` per event (blocks with
 * data) and `onId(id)` for every `id:` line, with or without data. Resolves at the end of
 * the body; rejects when it is cut off.
 *
 * @param {ReadableStream<Uint8Array>} body
 * @param {(message: {event: string, data: string, id: string | undefined}) => void} onMessage
 * @param {(id: string) => void} [onId]
 */
export async function readEvents(body, onMessage, onId = () => {}) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "";
  let data = [];
  let id;
  const line = (text) => {
    if (text === "") {
      if (data.length > 0) onMessage({ event: event || "message", data: data.join("\n"), id });
      event = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return; // comment: connected, heartbeat, notes
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") {
      id = value;
      onId(value);
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const text of lines) line(text);
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/**
 * Keeps a stream of `url` open until `signal` aborts: `onEvent({event, data, id})` per event,
 * `onState("live" | "down")` when the connection opens or drops. `request(url, init)` does the
 * fetch (with the token; it answers a 401 by asking for the token first). After a drop it
 * waits `retryMs` and reconnects with `Last-Event-ID`.
 *
 * @param {string} url
 * @param {{
 *   request: (url: string, init: {headers: Record<string, string>, signal: AbortSignal,
 *     cache: string}) => Promise<Response>,
 *   onEvent: (message: {event: string, data: string, id: string | undefined}) => void,
 *   onState: (state: "live" | "down") => void,
 *   signal: AbortSignal,
 *   retryMs?: number,
 * }} options
 */
export async function liveEvents(url, { request, onEvent, onState, signal, retryMs = 2000 }) {
  let lastId = null;
  while (!signal.aborted) {
    try {
      const headers = { accept: "text/event-stream" };
      if (lastId !== null) headers["last-event-id"] = lastId;
      const res = await request(url, { headers, signal, cache: "no-store" });
      if (res.ok) {
        onState("live");
        await readEvents(res.body, onEvent, (id) => (lastId = id));
      } else {
        await res.body?.cancel();
      }
    } catch {
      // dropped (or aborted): reconnect below unless aborted
    }
    if (signal.aborted) return;
    onState("down");
    await sleep(retryMs, signal);
  }
}
