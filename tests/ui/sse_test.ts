/**
 * The web UI's event-stream reader (`src/ui/web/sse.js`): it parses events as `EventSource`
 * does, and reconnects with the id of the last event it saw as `Last-Event-ID`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { liveEvents, readEvents } from "../../src/ui/web/sse.js";

const body = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });

Deno.test("readEvents(): events, multi-line data, ids, comments, split chunks", async () => {
  const seen: unknown[] = [];
  const ids: string[] = [];
  await readEvents(
    body(
      ": connected\n\n",
      "event: job_started\nid: 7\nda",
      'ta: {"a":1}\n\n',
      "data: one\r\ndata: two\r\n\r\n",
      ": note\nid: 9\n\n", // an id without data: recorded, no event
      "event: end\ndata:x\n\n",
    ),
    (ev: unknown) => seen.push(ev),
    (id: string) => ids.push(id),
  );
  assert.deepEqual(seen, [
    { event: "job_started", data: '{"a":1}', id: "7" },
    { event: "message", data: "one\ntwo", id: "7" },
    { event: "end", data: "x", id: "9" },
  ]);
  assert.deepEqual(ids, ["7", "9"]);
});

Deno.test("liveEvents(): reconnects with Last-Event-ID after a drop", async () => {
  const abort = new AbortController();
  const asked: (string | null)[] = [];
  const states: string[] = [];
  const events: string[] = [];
  const answers = [
    () => new Response(body("id: 3\nevent: a\ndata: 1\n\n", "id: 4\nevent: b\ndata: 2\n\n")),
    () => new Response("no", { status: 503 }),
    () => {
      abort.abort();
      return new Response(body("id: 5\nevent: c\ndata: 3\n\n"));
    },
  ];
  await liveEvents("/api/events", {
    request(_url: string, init: { headers: Record<string, string> }) {
      asked.push(init.headers["last-event-id"] ?? null);
      return Promise.resolve(answers[asked.length - 1]());
    },
    onEvent: (ev: { event: string }) => events.push(ev.event),
    onState: (s: string) => states.push(s),
    signal: abort.signal,
    retryMs: 1,
  });
  assert.deepEqual(asked, [null, "4", "4"]);
  assert.deepEqual(events, ["a", "b", "c"]);
  assert.deepEqual(states, ["live", "down", "down", "live"]);
});
