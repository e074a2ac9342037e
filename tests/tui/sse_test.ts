import assert from "node:assert/strict";
import { readSse, SseParser, SseQuietError } from "../../src/tui/sse.ts";

Deno.test("SseParser: messages in any chunking, comments skipped", () => {
  const text = ': connected\n\nevent: task_started\ndata: {"a":1}\nid: 42\n\n';
  const whole = new SseParser().push(text);
  assert.deepEqual(whole, [{ event: "task_started", data: '{"a":1}', id: "42" }]);
  const parser = new SseParser();
  const pieces = [...text].flatMap((ch) => parser.push(ch));
  assert.deepEqual(pieces, whole);
});

Deno.test("SseParser: CRLF and CR line ends, multi-line data, default event type", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("data: a\r\ndata: b\r\n\r"), []);
  assert.deepEqual(parser.push("\ndata:c\r\rdata: d\r"), [
    { event: "message", data: "a\nb", id: null },
    { event: "message", data: "c", id: null },
  ]);
  // A CR at the end of a chunk may be half of a CRLF: the message waits for the next chunk.
  assert.deepEqual(parser.push("\r"), []);
  assert.deepEqual(parser.push("\n"), [{ event: "message", data: "d", id: null }]);
});

Deno.test("SseParser: an id without data is told with empty data", () => {
  assert.deepEqual(new SseParser().push(": note\nid: 9\n\n"), [
    { event: "message", data: "", id: "9" },
  ]);
});

function body(chunks: string[], keepOpen = false): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      if (!keepOpen) controller.close();
    },
  });
}

Deno.test("readSse(): reads a stream to its end", async () => {
  const seen: string[] = [];
  await readSse(body(["event: line\nda", "ta: x\n\nevent: end\ndata: {}\n\n"]), (m) => {
    seen.push(`${m.event}:${m.data}`);
  });
  assert.deepEqual(seen, ["line:x", "end:{}"]);
});

Deno.test("readSse(): a stream quiet for too long is given up", async () => {
  const seen: string[] = [];
  await assert.rejects(
    readSse(body(["data: one\n\n"], true), (m) => seen.push(m.data), 50),
    SseQuietError,
  );
  assert.deepEqual(seen, ["one"]);
});
