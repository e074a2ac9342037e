/**
 * The API under random requests (`fuzz_requests.ts`), made from its own OpenAPI document,
 * against real servers on 127.0.0.1 port 0: one without a token, one with a token, a CORS
 * origin and an allowed host name. Every answer must be below 500 and be what the route
 * table declares for its status (`shape.ts`: JSON of the route's schema, or its declared
 * media type); a foreign `Host` must be refused, and so must a change from a foreign
 * `Origin` or with a body that is not JSON. Nothing may be logged as an API error.
 *
 * The seed is fixed so runs repeat; set `PETIT_FUZZ_SEED` to try another (`random` for a
 * new one each run). A failure names the seed and the request.
 *
 * @module
 */

import { findRoute } from "../../src/api/contract.ts";
import { openApiDocument } from "../../src/api/openapi.ts";
import { ROUTES } from "../../src/api/route_table.ts";
import { type Harness, startHarness } from "./helpers.ts";
import {
  type FuzzRequest,
  type FuzzTarget,
  prng,
  type Random,
  randomRequest,
} from "./fuzz_requests.ts";
import { rawRequest } from "./raw_http.ts";
import { readAnswer } from "./shape.ts";
import { scaled } from "../time_scale.ts";

/** @default 20261202 */
const DEFAULT_SEED = 20261202;
/** Requests per server (two servers). */
const REQUESTS_PER_SERVER = 200;
/** Longest wait for one answer (stretched on a slow machine, tests/time_scale.ts). */
const ANSWER_TIMEOUT_MS = scaled(5000);
const TOKEN = "fuzz-t0ken";
const CORS = "http://ui.test";

/** Quick jobs: runs to cancel, retry and list, a failure, a refused dependency, a limit. */
function fuzzJobs(): Record<string, string> {
  return {
    ok: "id: ok\ntasks:\n  - id: a\n    command: echo\n    args: [hi]\n",
    bad: 'id: bad\ntasks:\n  - id: a\n    command: "false"\n',
    sleepy: "id: sleepy\nmax_concurrency: 1\ntasks:\n  - id: nap\n    command: sleep\n" +
      '    args: ["0.3"]\n',
    after: 'id: after\ndepends_on: [bad]\ntasks:\n  - id: a\n    command: "true"\n',
  };
}

function seedOf(): number {
  const env = Deno.env.get("PETIT_FUZZ_SEED");
  if (env === "random") return Math.floor(Math.random() * 2 ** 31);
  return env ? Number(env) : DEFAULT_SEED;
}

function describe(req: FuzzRequest): string {
  const body = req.body === null ? "" : ` body ${JSON.stringify(req.body.slice(0, 120))}`;
  const host = req.host === null ? "" : ` Host ${JSON.stringify(req.host)}`;
  return `${req.method} ${req.path.slice(0, 200)}${host} headers ${JSON.stringify(req.headers)}` +
    body;
}

/** Sends a request: by fetch, or over a bare connection when it names its own Host. */
async function send(h: Harness, req: FuzzRequest, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { ...req.headers };
  if (token !== null) {
    // Mostly the right token; sometimes none or a wrong one.
    headers.authorization = token;
  }
  if (req.host !== null) {
    const port = Number(new URL(h.url).port);
    const raw = await rawRequest(port, {
      method: req.method,
      path: req.path,
      headers: { Host: req.host, ...headers },
      body: req.body ?? undefined,
    });
    const empty = req.method === "HEAD" || raw.status === 204;
    return new Response(empty ? null : raw.body, { status: raw.status, headers: raw.headers });
  }
  // A string body gets `text/plain` from fetch: bytes go without a type when none is asked.
  const body = req.body === null
    ? undefined
    : "content-type" in headers
    ? req.body
    : new TextEncoder().encode(req.body);
  return await fetch(`${h.url}${req.path}`, {
    method: req.method,
    headers,
    body,
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
}

/** Whether the guard must refuse the request (403), whatever the route. */
function mustRefuse(req: FuzzRequest, target: FuzzTarget): boolean {
  if (req.host !== null && target.foreignHosts.includes(req.host)) return true;
  if (["GET", "HEAD", "OPTIONS"].includes(req.method)) return false;
  // The server's own origin is the one of the Host the request gives.
  const own = req.host === null ? target.url : `http://${req.host}`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== own && origin !== target.cors) return true;
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim();
  return req.body !== null && req.body !== "" && !/^application\/([\w.-]+\+)?json$/.test(type);
}

/** Checks one answer; throws with what is wrong. */
async function check(req: FuzzRequest, res: Response, target: FuzzTarget): Promise<unknown> {
  if (res.status >= 500) throw new Error(`status ${res.status}: ${await res.text()}`);
  // With --api-cors, any OPTIONS is a preflight, answered first and without a body.
  if (req.method === "OPTIONS" && target.cors !== null) {
    await res.body?.cancel();
    if (res.status !== 204) throw new Error(`preflight answered ${res.status}`);
    return null;
  }
  if (mustRefuse(req, target) && res.status !== 403) {
    throw new Error(`expected 403, got ${res.status}: ${await res.text()}`);
  }
  if (req.method === "HEAD") {
    await res.body?.cancel();
    return null;
  }
  const type = res.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream")) {
    await res.body?.cancel();
    // Only from a route that declares one (the events, a followed task log).
    const route = findRoute(ROUTES, req.method, new URL(req.path, target.url).pathname);
    if (res.status !== 200 || !route?.ok.content["text/event-stream"]) {
      throw new Error(`an event stream from ${req.path} with status ${res.status}`);
    }
    return null;
  }
  return await readAnswer(req.method, req.path, res);
}

/** Remembers ids from answers so later requests reach real runs and tasks. */
function learn(body: unknown, ids: Record<string, string[]>): void {
  if (body === null || typeof body !== "object") return;
  const b = body as Record<string, unknown>;
  const add = (key: string, value: unknown) => {
    if (typeof value === "string" && !ids[key].includes(value)) ids[key].push(value);
  };
  add("id", b.run_id);
  for (const run of Array.isArray(b.runs) ? b.runs : []) add("id", run?.id);
  for (const task of Array.isArray(b.tasks) ? b.tasks : []) add("task", task?.task_id);
}

async function fuzzServer(
  random: Random,
  seed: number,
  options: { token: string | null; cors: string | null; allowedHosts: string[] },
  statuses: Map<number, number>,
): Promise<void> {
  const h = await startHarness({ jobs: fuzzJobs, ...options, maxJobs: 20 });
  try {
    const port = Number(new URL(h.url).port);
    const target: FuzzTarget = {
      doc: openApiDocument(ROUTES),
      url: h.url,
      cors: options.cors,
      foreignHosts: ["evil.test", `evil.test:${port}`, `127.0.0.1.evil.test:${port}`, "a b"],
      knownHosts: [
        `localhost:${port}`,
        "127.0.0.1",
        `[::1]:${port}`,
        `10.1.2.3:${port}`,
        ...options.allowedHosts,
      ],
      ids: { id: ["ok", "bad", "sleepy", "after", "nope"], task: ["a", "nap", "zz"] },
    };
    for (let i = 0; i < REQUESTS_PER_SERVER; i++) {
      const req = randomRequest(random, target);
      let token: string | null = null;
      if (options.token !== null) {
        const r = random();
        token = r < 0.85 ? `Bearer ${options.token}` : r < 0.9 ? "Bearer wrong" : "";
      }
      try {
        const res = await send(h, req, token || null);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        learn(await check(req, res, target), target.ids);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(
          `fuzz seed ${seed} (PETIT_FUZZ_SEED=${seed} to repeat), request ${i} ` +
            `(token ${options.token !== null}): ${describe(req)}\n${message}`,
          { cause: err },
        );
      }
    }
  } finally {
    await h.close();
  }
}

Deno.test("API fuzz: random requests from the OpenAPI document get declared answers, never a 5xx", async () => {
  const seed = seedOf();
  const random = prng(seed);
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
  const started = performance.now();
  const statuses = new Map<number, number>();
  try {
    await fuzzServer(random, seed, { token: null, cors: null, allowedHosts: [] }, statuses);
    await fuzzServer(
      random,
      seed,
      { token: TOKEN, cors: CORS, allowedHosts: ["pi.local"] },
      statuses,
    );
    const errors = logged.filter((line) => line.includes("API error"));
    if (errors.length > 0) {
      throw new Error(`fuzz seed ${seed}: API errors were logged:\n${errors.join("\n")}`);
    }
  } catch (err) {
    console.log(`API fuzz failed with seed ${seed}`);
    throw err;
  } finally {
    console.error = original;
  }
  console.log(
    `API fuzz: seed ${seed}, ${2 * REQUESTS_PER_SERVER} requests in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s; statuses ` +
      [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" "),
  );
});
