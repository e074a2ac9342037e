/**
 * The remote source against a small fake of the API on a loopback port: the event stream
 * (reconnecting with Last-Event-ID), and following logs with the follow stream or, on a
 * server without one, by reading the stored output.
 */

import assert from "node:assert/strict";
import { ApiClient } from "../../src/api/client.ts";
import { RemoteSource } from "../../src/tui/remote_source.ts";
import type { LogUpdate, SourceEvent } from "../../src/tui/source.ts";
import { waitUntil } from "../scenarios/helpers.ts";

type Handler = (req: Request, url: URL) => Response | Promise<Response>;

/** Serves `handler` on a free loopback port while `fn` runs with a source on it. */
async function withServer(handler: Handler, fn: (source: RemoteSource) => Promise<void>) {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req) => handler(req, new URL(req.url)),
  );
  const source = new RemoteSource(
    new ApiClient(`http://127.0.0.1:${server.addr.port}`, { token: null, caCertFile: null }),
  );
  try {
    await fn(source);
  } finally {
    source.close();
    await server.shutdown();
  }
}

const sse = (text: string) =>
  new Response(text, { headers: { "content-type": "text/event-stream" } });

function logs(stdout: string, ended: boolean) {
  return Response.json({
    run_id: "r1",
    task_id: "t",
    attempt: 1,
    started_at: 1,
    ended_at: ended ? 2 : null,
    exit_code: ended ? 0 : null,
    error: null,
    stdout,
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: stdout.length,
    stderr_bytes: 0,
    attempts: 1,
  });
}

function runDetail(status: string) {
  return Response.json({
    id: "r1",
    job_id: "j",
    status: status === "completed" ? "completed" : "running",
    trigger: "api",
    started_at: 1,
    ended_at: null,
    duration_ms: null,
    error: null,
    reason: null,
    scheduled_for: null,
    retry_of: null,
    tasks: [{
      task_id: "t",
      run_id: "r1",
      status,
      attempts: 1,
      started_at: 1,
      ended_at: null,
      duration_ms: null,
      exit_code: null,
      error: null,
    }],
  });
}

const text = (updates: LogUpdate[]) => {
  let lines: string[] = [];
  for (const u of updates) {
    if (u.lines) lines = u.lines.map((l) => l.text);
    if (u.append) lines.push(...u.append.map((l) => l.text));
  }
  return lines;
};

Deno.test("RemoteSource.followLogs(): lines from the follow stream, then finished", async () => {
  await withServer((_req, url) => {
    if (url.pathname === "/api/runs/r1") return runDetail("completed");
    if (url.searchParams.get("follow") === "true") {
      return sse(
        ": connected\n\n" +
          'event: line\ndata: {"stream":"stdout","line":"one","attempt":1}\n\n' +
          'event: end\ndata: {"attempt":1,"status":"failed","exit_code":1,"error":"x","dropped_bytes":0}\n\n' +
          'event: line\ndata: {"stream":"stderr","line":"\\u001b[31mtwo","attempt":2}\n\n' +
          'event: end\ndata: {"attempt":2,"status":"completed","exit_code":0,"error":null,"dropped_bytes":0}\n\n',
      );
    }
    return new Response("unexpected", { status: 500 });
  }, async (source) => {
    const updates: LogUpdate[] = [];
    const feed = source.followLogs("r1", "t", (u) => updates.push(u));
    try {
      await waitUntil("the end", () => updates.some((u) => u.mode === "finished"));
      assert.deepEqual(text(updates), [
        "one",
        "── attempt 1 failed (exit 1) ──",
        "── attempt 2 ──",
        "two",
        "── attempt 2 completed (exit 0) ──",
      ]);
      assert.ok(updates.some((u) => u.mode === "live"));
    } finally {
      feed.close();
    }
  });
});

Deno.test("RemoteSource.followLogs(): without a follow stream (400), the stored output every second", async () => {
  let follows = 0;
  let reads = 0;
  await withServer((_req, url) => {
    if (url.pathname === "/api/runs/r1") return runDetail(reads >= 2 ? "completed" : "running");
    if (url.searchParams.get("follow") === "true") {
      follows++;
      return Response.json({ error: "unknown parameter follow", code: "BAD_REQUEST" }, {
        status: 400,
      });
    }
    reads++;
    return reads === 1 ? logs("", false) : logs("a\nb\n", true);
  }, async (source) => {
    const updates: LogUpdate[] = [];
    const feed = source.followLogs("r1", "t", (u) => updates.push(u));
    try {
      await waitUntil("the end", () => updates.some((u) => u.mode === "finished"), 5000);
      assert.equal(follows, 1);
      assert.equal(updates[0].mode, "polling");
      assert.match(updates[0].note ?? "", /no live stream/);
      assert.deepEqual(text(updates), ["a", "b"]);
    } finally {
      feed.close();
    }
    // The server is known to have no stream: the next feed polls at once.
    const again: LogUpdate[] = [];
    const second = source.followLogs("r1", "t", (u) => again.push(u));
    try {
      await waitUntil("the output", () => again.some((u) => u.mode === "finished"), 5000);
      assert.equal(follows, 1);
    } finally {
      second.close();
    }
  });
});

Deno.test("RemoteSource.watch(): events, then a reconnect with Last-Event-ID and a resync", async () => {
  const lastIds: (string | null)[] = [];
  await withServer((req, url) => {
    if (url.pathname !== "/api/events") return new Response("no", { status: 404 });
    lastIds.push(req.headers.get("last-event-id"));
    // Each connection sends one event and closes, as a server that stops would.
    const id = 10 + lastIds.length;
    return sse(
      `: connected\n\nid: ${id}\nevent: task_started\n` +
        `data: {"type":"task_started","job_id":"j","run_id":"r1","task_id":"t"}\n\n`,
    );
  }, async (source) => {
    const events: SourceEvent[] = [];
    const problems: (string | null)[] = [];
    const stop = source.watch({
      events: (b) => events.push(...b),
      connection: (p) => problems.push(p),
    });
    try {
      await waitUntil("a reconnect", () => lastIds.length >= 2, 5000);
      assert.deepEqual(lastIds.slice(0, 2), [null, "11"]);
      assert.deepEqual(events.slice(0, 2), [
        { type: "resync", job_id: null, run_id: null, task_id: null },
        { type: "task_started", job_id: "j", run_id: "r1", task_id: "t" },
      ]);
      assert.ok(problems.some((p) => p !== null && /retrying in 1s/.test(p)), String(problems));
    } finally {
      stop();
    }
  });
});
