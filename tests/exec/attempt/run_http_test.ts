/**
 * HTTP tasks (`type: http`, `run_http.ts`) against a local server (`Deno.serve` on 127.0.0.1,
 * port 0): jobs come from YAML (loadJobTexts) and run through the DAG runner (`executeRun`),
 * so outputs, templates, retries and timeouts are checked as a job sees them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError } from "../../../src/config/errors.ts";
import { loadJobTexts } from "../../../src/config/loader/mod.ts";
import { EventBus } from "../../../src/events/bus.ts";
import type { PetitEvent } from "../../../src/events/types.ts";
import {
  type AttemptContext,
  runHttpAttempt,
  statusExpected,
} from "../../../src/exec/attempt/mod.ts";
import type { CapturedOutput } from "../../../src/exec/process/mod.ts";
import { executeRun, type RunResult } from "../../../src/exec/runner.ts";
import { scaled } from "../../time_scale.ts";
import { ofType, until } from "../fake_attempts.ts";

/** What the server saw of one request. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

/** A local server for one test: every request is recorded, then answered by `handler`. */
async function withServer(
  handler: (req: Request, seen: Seen) => Response | Promise<Response>,
  fn: (base: string, requests: Seen[]) => Promise<void>,
): Promise<void> {
  const requests: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const seen: Seen = {
      method: req.method,
      path: new URL(req.url).pathname,
      headers: req.headers,
      body: await req.text(),
    };
    requests.push(seen);
    return await handler(req, seen);
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, requests);
  } finally {
    await server.shutdown();
  }
}

/** What a {@linkcode withSilentServer} has seen so far. */
interface SilentServer {
  /** Requests read (one per connection). */
  requests: number;
  /** Connections the client closed. */
  closed: number;
}

/**
 * A TCP server that reads requests and never answers, for timeouts and cancels: a client that
 * gives up closes its connection, which the server counts. (Deno.serve's `request.signal`
 * would tell too, but it also fires after answers and warns about that.) `onRequest` is called
 * when a request has been read.
 */
async function withSilentServer(
  fn: (base: string, server: SilentServer) => Promise<void>,
  onRequest: () => void = () => {},
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server: SilentServer = { requests: 0, closed: 0 };
  const conns: Deno.Conn[] = [];
  const readers: Promise<void>[] = [];
  const read = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(4096);
    let first = true;
    try {
      while ((await conn.read(buf)) !== null) {
        if (first) {
          first = false;
          server.requests++;
          onRequest();
        }
      }
      server.closed++;
    } catch {
      // Closed by the finally below.
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      readers.push(read(conn));
    }
  })();
  try {
    await fn(`http://127.0.0.1:${listener.addr.port}`, server);
  } finally {
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // The client closed it first.
      }
    }
    await accepting.catch(() => {});
    await Promise.all(readers);
  }
}

/** Runs the job a YAML text describes (it must be valid); returns the result and the events. */
async function runYaml(
  yaml: string,
  options: { signal?: AbortSignal } = {},
): Promise<{ result: RunResult; events: PetitEvent[] }> {
  // In this folder, which a shell task can run in.
  const loaded = loadJobTexts([{ file: join(Deno.cwd(), "job.yaml"), text: yaml }]);
  assert.deepEqual(loaded.errors.map(formatConfigError), []);
  const bus = new EventBus();
  const events: PetitEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const result = await executeRun({
    job: loaded.jobs[0],
    runId: "r1",
    trigger: "manual",
    bus,
    signal: options.signal,
  });
  return { result, events };
}

/** The logs of the attempt that ended task `id` (completed or failed). */
function endLogs(events: PetitEvent[], id: string) {
  const end = events.find((e) =>
    (e.type === "task_completed" || e.type === "task_failed") && e.task_id === id
  );
  assert.ok(end && "logs" in end && end.logs, `task ${id} ended`);
  return end.logs;
}

Deno.test("statusExpected: codes match exactly, classes by their first digit", () => {
  assert.ok(statusExpected(204, ["2xx"]));
  assert.ok(statusExpected(404, [200, 404]));
  assert.ok(statusExpected(301, ["2xx", "3xx"]));
  assert.ok(!statusExpected(404, ["2xx"]));
  assert.ok(!statusExpected(201, [200]));
  assert.ok(!statusExpected(500, ["4xx", 200]));
});

Deno.test("runHttpAttempt: a GET's body is the task's stdout and its status the output status", async () => {
  await withServer(() => new Response("hello\nworld\n"), async (base, requests) => {
    const { result, events } = await runYaml(`id: job
tasks:
  - id: get
    type: http
    url: ${base}/health
`);
    assert.equal(result.status, "completed");
    const get = result.tasks.get("get")!;
    assert.equal(get.stdout, "hello\nworld\n");
    assert.deepEqual(get.outputs, { status: "200" });
    assert.equal(get.exitCode, null);
    assert.deepEqual(requests.map((r) => [r.method, r.path]), [["GET", "/health"]]);
    const logs = endLogs(events, "get");
    assert.equal(logs.stdout, "hello\nworld\n");
    assert.equal(logs.stdout_bytes, 12);
    assert.equal(logs.stderr, "");
    assert.equal(ofType(events, "task_started")[0].pgid, null);
  });
});

Deno.test("runHttpAttempt: a POST sends its headers and its templated body", async () => {
  await withServer(() => new Response("created", { status: 201 }), async (base, requests) => {
    const port = new URL(base).port;
    const { result } = await runYaml(`id: job
config:
  port: ${port}
  name: nightly
tasks:
  - id: post
    type: http
    method: POST
    url: "http://127.0.0.1:{{ config.port }}/hooks/{{ job.id }}"
    headers:
      Content-Type: application/json
      X-Run: "{{ run.id }}"
      X-Count: 3
    body: '{"name": "{{ config.name }}", "run": "{{ run.id }}"}'
`);
    assert.equal(result.status, "completed");
    assert.equal(requests.length, 1);
    const [seen] = requests;
    assert.equal(seen.method, "POST");
    assert.equal(seen.path, "/hooks/job");
    assert.equal(seen.headers.get("content-type"), "application/json");
    assert.equal(seen.headers.get("x-run"), "r1");
    assert.equal(seen.headers.get("x-count"), "3");
    assert.deepEqual(JSON.parse(seen.body), { name: "nightly", run: "r1" });
    assert.deepEqual(result.tasks.get("post")!.outputs, { status: "201" });
  });
});

Deno.test("runHttpAttempt: a status outside expect_status fails with the status line; [404] accepts a 404", async () => {
  await withServer(
    (_req, seen) =>
      seen.path === "/down"
        ? new Response("maintenance\n", { status: 503 })
        : new Response("no such thing\n", { status: 404 }),
    async (base, requests) => {
      const { result, events } = await runYaml(`id: job
tasks:
  - id: down
    type: http
    url: ${base}/down
    retry: { max_attempts: 2, condition: transient_only }
  - id: missing
    type: http
    url: ${base}/missing
  - id: gone
    type: http
    url: ${base}/gone
    expect_status: [404]
`);
      assert.equal(result.status, "failed");
      const down = result.tasks.get("down")!;
      assert.equal(down.status, "failed");
      assert.equal(down.error, "HTTP 503 Service Unavailable (expected 2xx)");
      assert.equal(down.attempts, 1, "an unexpected status is no transient failure");
      assert.equal(down.stdout, "maintenance\n", "the body is kept on failure too");
      assert.deepEqual(down.outputs, { status: "503" });
      const failed = ofType(events, "task_failed").find((e) => e.task_id === "down")!;
      assert.equal(failed.stderr_tail, "HTTP 503 Service Unavailable (expected 2xx)");
      assert.equal(result.tasks.get("missing")!.error, "HTTP 404 Not Found (expected 2xx)");
      const gone = result.tasks.get("gone")!;
      assert.equal(gone.status, "completed");
      assert.equal(gone.stdout, "no such thing\n");
      assert.deepEqual(gone.outputs, { status: "404" });
      assert.equal(requests.length, 3);
    },
  );
});

Deno.test("runHttpAttempt: connection refused is a transient failure that transient_only retries", async () => {
  // A port that was just free: nothing listens on it.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(),
  );
  const port = server.addr.port;
  await server.shutdown();
  const { result, events } = await runYaml(`id: job
tasks:
  - id: refused
    type: http
    url: http://127.0.0.1:${port}/secret-token-in-path
    retry: { max_attempts: 2, condition: transient_only }
`);
  const refused = result.tasks.get("refused")!;
  assert.equal(refused.status, "failed");
  assert.equal(refused.attempts, 3);
  assert.equal(ofType(events, "task_retrying").length, 2);
  assert.match(refused.error!, /^request failed: .*Connection refused/);
  assert.ok(!refused.error!.includes("secret-token"), "the URL is not in the message");
  assert.deepEqual(refused.outputs, {}, "no response, no status");
});

Deno.test("runHttpAttempt: a rendered URL that is not http or https fails without a retry", async () => {
  const { result } = await runYaml(`id: job
config:
  target: file:///etc/hostname
tasks:
  - id: local
    type: http
    url: "{{ config.target }}"
    retry: { max_attempts: 2, condition: transient_only }
`);
  const local = result.tasks.get("local")!;
  assert.equal(local.status, "failed");
  assert.equal(local.attempts, 1);
  assert.equal(
    local.error,
    "invalid request: url is not an http or https URL once rendered (file:)",
  );
  assert.equal(local.stdout, "", "nothing was read");
});

Deno.test("runHttpAttempt: a timeout while waiting for the response aborts the request", async () => {
  await withSilentServer(async (base, server) => {
    const t0 = performance.now();
    const { result } = await runYaml(`id: job
tasks:
  - id: slow
    type: http
    url: ${base}/slow
    timeout: 200ms
    retry: { max_attempts: 1, condition: transient_only }
`);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < scaled(5000), `the slow requests were cut short (took ${elapsed} ms)`);
    const slow = result.tasks.get("slow")!;
    assert.equal(slow.status, "failed");
    assert.equal(slow.error, "timed out after 200 ms");
    assert.equal(slow.attempts, 2, "a timeout is transient");
    assert.deepEqual(slow.outputs, {});
    await until(() => server.closed === 2, "the server saw both requests aborted");
    assert.equal(server.requests, 2);
  });
});

/** Long enough for the headers to arrive first on a slow (emulated) machine too. */
const BODY_TIMEOUT_MS = scaled(200);

Deno.test("runHttpAttempt: a timeout while the body arrives aborts it and keeps what came", async () => {
  let cancelled = false;
  // One line of a body that never ends, until the client cancels it.
  const handler = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode("partial\n"));
        },
        cancel() {
          cancelled = true;
        },
      }),
    );
  await withServer(handler, async (base) => {
    const { result, events } = await runYaml(`id: job
tasks:
  - id: body
    type: http
    url: ${base}/body
    timeout: ${BODY_TIMEOUT_MS}ms
`);
    const body = result.tasks.get("body")!;
    assert.equal(body.status, "failed");
    assert.equal(body.error, `timed out after ${BODY_TIMEOUT_MS} ms`);
    assert.equal(body.stdout, "partial\n", "what arrived before the timeout is kept");
    assert.deepEqual(body.outputs, { status: "200" });
    assert.equal(endLogs(events, "body").stderr, "", "a timeout writes nothing, as for processes");
    await until(() => cancelled, "the server saw the body cancelled");
  });
});

Deno.test("runHttpAttempt: cancelling the run aborts the request", async () => {
  const controller = new AbortController();
  await withSilentServer(async (base, server) => {
    const { result, events } = await runYaml(
      `id: job
tasks:
  - id: wait
    type: http
    url: ${base}/wait
`,
      { signal: controller.signal },
    );
    assert.equal(result.status, "cancelled");
    assert.equal(result.tasks.get("wait")!.status, "cancelled");
    assert.equal(ofType(events, "task_cancelled").length, 1);
    await until(() => server.closed === 1, "the server saw the request aborted");
  }, () => controller.abort());
});

Deno.test("runHttpAttempt: a 2 MiB body keeps the first 1 MiB and counts the rest", async () => {
  const MiB = 1024 * 1024;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const handler = () => {
    let sent = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent === 2 * MiB) return c.close();
          c.enqueue(chunk.slice());
          sent += chunk.length;
        },
      }),
    );
  };
  await withServer(handler, async (base) => {
    const { result, events } = await runYaml(`id: job
tasks:
  - id: big
    type: http
    url: ${base}/big
`);
    assert.equal(result.status, "completed");
    const logs = endLogs(events, "big");
    assert.equal(logs.stdout.length, MiB);
    assert.equal(logs.stdout_bytes, 2 * MiB);
    assert.equal(logs.stdout_truncated, true);
    assert.ok(/^a+$/.test(logs.stdout));
  });
});

Deno.test("runHttpAttempt: downstream tasks read the status as {{ tasks.X.outputs.status }} and PETIT_OUT_X_STATUS", async () => {
  await withServer(
    (_req, seen) => new Response(`at ${seen.path}`, { status: seen.path === "/make" ? 201 : 200 }),
    async (base, requests) => {
      const { result } = await runYaml(`id: job
tasks:
  - id: make
    type: http
    method: PUT
    url: ${base}/make
    body: x
  - id: report
    type: shell
    script: 'echo "{{ tasks.make.outputs.status }} $PETIT_OUT_MAKE_STATUS"'
    depends_on: [make]
  - id: confirm
    type: http
    url: ${base}/confirm/{{ tasks.make.outputs.status }}
    depends_on: [make]
`);
      assert.equal(result.status, "completed");
      assert.equal(result.tasks.get("report")!.stdout, "201 201\n");
      assert.ok(requests.some((r) => r.path === "/confirm/201"));
    },
  );
});

Deno.test("runHttpAttempt: the body is readable while it arrives, through the attempt's captures", async () => {
  let release = () => {};
  const more = new Promise<void>((resolve) => (release = resolve));
  const handler = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(new TextEncoder().encode("first\n"));
          await more;
          c.enqueue(new TextEncoder().encode("second\n"));
          c.close();
        },
      }),
    );
  await withServer(handler, async (base) => {
    const loaded = loadJobTexts([{
      file: "/jobs/job.yaml",
      text: `id: job\ntasks:\n  - id: t\n    type: http\n    url: ${base}/stream\n`,
    }]);
    const job = loaded.jobs[0];
    let captured: CapturedOutput | null = null;
    const lines: string[] = [];
    const ctx: AttemptContext = {
      job,
      runId: "r1",
      attempt: 1,
      templates: { jobId: "job", runId: "r1", config: {}, tasks: new Map() },
      baseEnv: () => ({}),
      runDir: "/nonexistent",
      outputFile: "/nonexistent/t.1.out",
      scheduledFor: null,
      timeoutMs: null,
      onLine: (stream, line) => lines.push(`${stream}: ${line}`),
      onCapture: (output) => (captured = output),
      started: () => {},
    };
    const attempt = runHttpAttempt(job.tasks[0], ctx);
    const text = () => new TextDecoder().decode(captured!.stdout.bytes());
    await until(() => captured !== null && text() === "first\n", "the first line is readable");
    assert.deepEqual(lines, ["stdout: first"]);
    release();
    const result = await attempt;
    assert.equal(result.ok, true);
    assert.equal(result.logs.stdout, "first\nsecond\n");
    assert.equal(text(), "first\nsecond\n");
    assert.deepEqual(lines, ["stdout: first", "stdout: second"]);
  });
});
