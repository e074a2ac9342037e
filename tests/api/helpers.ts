/**
 * Test fixtures for the API: job files in a temp folder, a real Scheduler over a real
 * SQLite file, and the API on 127.0.0.1 port 0.
 *
 * @module
 */

import { loadJobsDir } from "../../src/config/loader/mod.ts";
import { startApi } from "../../src/api/server.ts";
import type { Engine } from "../../src/scheduler/engine.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { SqliteStorage } from "../../src/storage/sqlite/mod.ts";
import { scaled } from "../time_scale.ts";
import { expectAnswerShape } from "./shape.ts";

/** A job file per id: YAML text. */
export type JobFiles = Record<string, string>;

/** Writes job files into a new temp folder; returns the folder. */
export async function writeJobs(files: JobFiles, dir?: string): Promise<string> {
  const root = dir ?? await Deno.makeTempDir({ prefix: "petit-api-jobs-" });
  await Deno.mkdir(root, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${root}/${name}.yaml`, text);
  }
  return root;
}

/** Job files most tests use. `tmp` is where tasks may write files. */
export function standardJobs(tmp: string): JobFiles {
  return {
    quick: `
id: quick
name: Quick
schedule: "0 0 1 1 *"
tasks:
  - id: first
    type: shell
    script: "echo hello-stdout; echo hello-stderr >&2"
  - id: second
    depends_on: [first]
    command: echo
    args: [second]
`,
    failing: `
id: failing
tasks:
  - id: boom
    type: shell
    script: "echo about to fail; exit 3"
  - id: after
    depends_on: [boom]
    command: "true"
`,
    slow: `
id: slow
max_concurrency: 1
tasks:
  - id: sleeper
    type: shell
    script: "sleep 300 & echo $! > ${tmp}/grandchild.pid; sleep 300"
`,
    upstream: `
id: upstream
tasks:
  - id: nope
    command: "false"
`,
    dependent: `
id: dependent
depends_on: [upstream]
tasks:
  - id: work
    command: "true"
`,
  };
}

/** A scheduler, engine and API over a SQLite file in a temp folder. */
export interface Harness {
  readonly dir: string;
  readonly tmp: string;
  readonly dbPath: string;
  readonly storage: SqliteStorage;
  readonly scheduler: Scheduler;
  readonly engine: Engine;
  readonly url: string;
  /** `fetch(url + path)` with the harness's token when it has one. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Fetches and parses JSON (the body must be JSON), and checks it with the schema its route
   * declares for the status (`shape.ts`).
   */
  json<T = Record<string, unknown>>(path: string, init?: RequestInit): Promise<{
    status: number;
    body: T;
    res: Response;
  }>;
  /** Stops everything; with `keepFiles` the temp folders stay (for a restart). */
  close(keepFiles?: boolean): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  jobs?: (tmp: string) => JobFiles;
  token?: string | null;
  maxJobs?: number | null;
  /** Reuse a folder and database (restart). */
  reuse?: { dir: string; tmp: string; dbPath: string };
  cors?: string | null;
  maxBodyBytes?: number;
  /** Host names the API answers to besides loopback names and IP addresses. */
  allowedHosts?: readonly string[];
  /** Opens the store on the database file (default: a plain SqliteStorage). */
  openStorage?: (dbPath: string) => SqliteStorage;
}

/** Starts a harness. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tmp = options.reuse?.tmp ?? await Deno.makeTempDir({ prefix: "petit-api-" });
  const dir = options.reuse?.dir ??
    await writeJobs((options.jobs ?? standardJobs)(tmp), `${tmp}/jobs`);
  const dbPath = options.reuse?.dbPath ?? `${tmp}/petit.db`;
  const loaded = await loadJobsDir(dir);
  if (loaded.errors.length > 0) throw new Error(`bad fixtures: ${JSON.stringify(loaded.errors)}`);
  const storage = options.openStorage?.(dbPath) ?? new SqliteStorage(dbPath);
  const scheduler = new Scheduler(loaded.jobs, {
    storage,
    maxJobs: options.maxJobs ?? null,
    killGraceMs: 1000,
  });
  const api = await startApi({
    scheduler,
    host: "127.0.0.1",
    port: 0,
    token: options.token ?? null,
    insecure: false,
    cors: options.cors ?? null,
    maxBodyBytes: options.maxBodyBytes,
    allowedHosts: options.allowedHosts,
  });
  // Started after the API, as `pt run` does: the API finds the engine by itself.
  scheduler.start();
  const engine = scheduler.engine!;
  const token = options.token ?? null;
  const doFetch = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return fetch(`${api.url}${path}`, { ...init, headers });
  };
  let closed = false;
  return {
    dir,
    tmp,
    dbPath,
    storage,
    scheduler,
    engine,
    url: api.url,
    fetch: doFetch,
    async json<T>(path: string, init?: RequestInit) {
      const res = await doFetch(path, init);
      const text = await res.text();
      let body: T;
      try {
        body = JSON.parse(text) as T;
      } catch {
        throw new Error(`${path}: not JSON (${res.status}): ${text.slice(0, 200)}`);
      }
      expectAnswerShape(init?.method ?? "GET", path, res.status, body);
      return { status: res.status, body, res };
    },
    async close(keepFiles = false) {
      if (closed) return;
      closed = true;
      await api.close();
      await scheduler.shutdown(0);
      storage.close();
      if (!keepFiles) await Deno.remove(tmp, { recursive: true });
    },
  };
}

/**
 * Polls `check` every 25 ms until it returns a value other than undefined (or times out). Every
 * timeout in these helpers is stretched by `scaled()` (`PETIT_TEST_TIME_SCALE`, 1 natively).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + scaled(timeoutMs);
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether a process (or, with a negative id, a process group) exists. */
export function alive(pid: number): boolean {
  const r = new Deno.Command("kill", { args: ["-0", "--", String(pid)], stderr: "null" })
    .outputSync();
  return r.success;
}

/** One parsed server-sent event. */
export interface SseEvent {
  id: string | null;
  event: string | null;
  data: string;
}

/** Reads server-sent events from a response body. */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** Comment lines seen (heartbeats). */
  comments: string[] = [];

  /** Reads `res.body`. */
  constructor(res: Response) {
    if (!res.body) throw new Error("no body");
    this.#reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event, or throws after `timeoutMs` (scaled). */
  next(timeoutMs = 10_000): Promise<SseEvent> {
    return this.#nextBy(Date.now() + scaled(timeoutMs));
  }

  /** The next event, or throws once the clock (`Date.now()`) passes `end`. */
  nextBy(end: number): Promise<SseEvent> {
    return this.#nextBy(end);
  }

  /** The next event matching `pred`, or throws after `timeoutMs` (scaled). */
  async until(pred: (e: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    const end = Date.now() + scaled(timeoutMs);
    for (;;) {
      const e = await this.#nextBy(end);
      if (pred(e)) return e;
    }
  }

  /** The next event, or throws once the clock passes `end`. */
  async #nextBy(end: number): Promise<SseEvent> {
    for (;;) {
      const sep = this.#buffer.indexOf("\n\n");
      if (sep >= 0) {
        const block = this.#buffer.slice(0, sep);
        this.#buffer = this.#buffer.slice(sep + 2);
        const event: SseEvent = { id: null, event: null, data: "" };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) this.comments.push(line);
          else if (line.startsWith("id: ")) event.id = line.slice(4);
          else if (line.startsWith("event: ")) event.event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length === 0 && event.id === null && event.event === null) continue;
        event.data = data.join("\n");
        return event;
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error("timed out waiting for an event");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), left))),
      ]);
      clearTimeout(timer);
      if (chunk === "timeout") throw new Error("timed out waiting for an event");
      if (chunk.done) throw new Error("event stream ended");
      this.#buffer += chunk.value;
    }
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}
