/**
 * Test fixtures for notifications: a local HTTP server on 127.0.0.1 port 0 that records what
 * it receives and answers as a test says, and a scheduler over jobs written as YAML.
 *
 * @module
 */

import { loadJobTexts } from "../../src/config/loader/mod.ts";
import type { NotifySettings } from "../../src/notify/mod.ts";
import type { PetitEvent } from "../../src/events/types.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { InMemoryStorage } from "../../src/storage/memory.ts";

/** A request the hook received. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly body: string;
  /** `performance.now()` when it arrived. */
  readonly at: number;
}

/** A local HTTP server that stands in for a webhook or an ntfy server. */
export interface Hook {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request so far, in arrival order. */
  readonly received: Received[];
  /** Resolves with the `n`-th request (1-based) once it has arrived. */
  nth(n: number): Promise<Received>;
  /** Stops the server; requests still waiting for an answer are cut off. */
  close(): Promise<void>;
}

/**
 * Starts a hook. `answer` gets each request and its 1-based number; it may wait (a slow or
 * hanging server) until `signal` aborts at close.
 */
export function startHook(
  answer: (n: number, signal: AbortSignal) => Response | Promise<Response> = () =>
    new Response("ok"),
): Hook {
  const received: Received[] = [];
  const waiters: { n: number; resolve: (r: Received) => void }[] = [];
  const closing = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const got: Received = {
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: await req.text(),
      at: performance.now(),
    };
    received.push(got);
    for (const w of waiters.filter((w) => w.n === received.length)) w.resolve(got);
    return await answer(received.length, closing.signal);
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    received,
    nth(n: number) {
      if (received.length >= n) return Promise.resolve(received[n - 1]);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      closing.abort();
      await server.shutdown();
    },
  };
}

/** Resolves once `signal` aborts (a hanging server's answer). */
export function never(signal: AbortSignal): Promise<Response> {
  return new Promise((resolve) => {
    signal.addEventListener("abort", () => resolve(new Response("late")), { once: true });
  });
}

/** A scheduler over YAML job files, its store, and the events it published. */
export interface Setup {
  readonly scheduler: Scheduler;
  readonly storage: InMemoryStorage;
  readonly events: PetitEvent[];
  /** The notification events so far. */
  notifications(): PetitEvent[];
  /** Waits for the notification events until `done` says they are complete. */
  until(done: (events: PetitEvent[]) => boolean, timeoutMs?: number): Promise<PetitEvent[]>;
}

/** Retry waits small enough for tests. */
export const FAST_RETRIES: readonly number[] = [20, 40];

/** Loads `files` (name → YAML, as files of `dir`, where tasks run) and makes a scheduler. */
export function setup(
  files: Record<string, string>,
  notify: NotifySettings = {},
  dir = "/tmp",
): Setup {
  const loaded = loadJobTexts(
    Object.entries(files).map(([name, text]) => ({ file: `${dir}/${name}.yaml`, text })),
  );
  if (loaded.errors.length > 0) throw new Error(JSON.stringify(loaded.errors));
  const storage = new InMemoryStorage();
  const scheduler = new Scheduler(loaded.jobs, {
    storage,
    notify: { retryDelaysMs: FAST_RETRIES, ...notify },
    killGraceMs: 500,
  });
  const events: PetitEvent[] = [];
  scheduler.bus.subscribe((e) => events.push(e));
  const notifications = () => events.filter((e) => e.type.startsWith("notification_"));
  return {
    scheduler,
    storage,
    events,
    notifications,
    async until(done, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (!done(notifications())) {
        if (Date.now() > end) {
          throw new Error(`timed out; notifications: ${JSON.stringify(notifications())}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return notifications();
    },
  };
}

/** One task that exits with `code`. */
export function exitWith(code: number): string {
  return `tasks:\n  - id: work\n    type: shell\n    script: exit ${code}\n`;
}
