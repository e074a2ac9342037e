/**
 * The notifier: a bus subscriber that turns the end of a run (`job_completed`,
 * `job_skipped`) into the notifications its job asks for, and delivers them in the
 * background. The run never waits for them: the subscriber only reads the run's records and
 * queues the deliveries, which start once the run has settled (its leftover processes
 * reaped, its records flushed) and are retried with backoff. Each attempt's result is
 * published on the bus as `notification_sent` or `notification_failed`, so it is stored,
 * streamed by the API and logged like every other event.
 *
 * Needs --allow-net for webhooks and ntfy, --allow-run for commands.
 *
 * @module
 */

import { dirname } from "node:path";
import { delay } from "../core/delay.ts";
import type { JobSpec } from "../core/model.ts";
import type { NotifySpec, NotifyTarget } from "../core/notify.ts";
import type { EventBus } from "../events/bus.ts";
import type { NotificationFailedEvent, PetitEvent } from "../events/types.ts";
import { formatDuration } from "../schedule/duration.ts";
import { type CommandContext, runNotifyCommand } from "./command.ts";
import { sendNtfy } from "./ntfy.ts";
import {
  buildPayload,
  endStatus,
  type NotificationPayload,
  notifyOutcome,
  type RunEndEvent,
  type RunFacts,
  type TaskFacts,
} from "./payload.ts";
import { describeTarget, maskSecrets } from "./redact.ts";
import { sendWebhook } from "./webhook.ts";

/**
 * Delivery attempts per notification: the first and two retries.
 *
 * @default {3}
 */
export const NOTIFY_ATTEMPTS = 3;

/**
 * Waits before the second and the third attempt, in milliseconds (backoff).
 *
 * @default {[1_000, 5_000]}
 */
export const NOTIFY_RETRY_DELAYS_MS: readonly number[] = Object.freeze([1_000, 5_000]);

/**
 * How long a scheduler's shutdown waits for notifications still being delivered before it
 * gives them up (`pt trigger` waits longer: see its command).
 *
 * @default {5_000}
 */
export const DEFAULT_NOTIFY_WAIT_MS = 5_000;

/** Notification settings of a scheduler. */
export interface NotifySettings {
  /**
   * Notifications of jobs that set no `notify` of their own (the config file's
   * `[[notify.default]]`).
   *
   * @default {[]}
   */
  readonly defaults?: readonly NotifySpec[];
  /**
   * Waits before the second and later attempts, in milliseconds (tests use small ones).
   *
   * @default {NOTIFY_RETRY_DELAYS_MS}
   */
  readonly retryDelaysMs?: readonly number[];
  /**
   * How long shutdown waits for deliveries under way before giving them up.
   *
   * @default {DEFAULT_NOTIFY_WAIT_MS}
   */
  readonly waitMs?: number;
}

/** What the notifier reads of a finished run: a store fits. */
export interface RunSource {
  /** The run, or null. */
  getRun(id: string): RunFacts | null;
  /** Its tasks. */
  listTaskRuns(runId: string): readonly TaskFacts[];
}

/** What a notifier needs. */
export interface NotifierOptions extends NotifySettings {
  /** Where run ends are heard and delivery results published. */
  readonly bus: Pick<EventBus, "subscribe" | "publish">;
  /** The stored run and tasks, read when the run ends. */
  readonly runs: RunSource;
  /** The job of an id, as loaded now (its `notify`, its folder). */
  readonly job: (id: string) => JobSpec | undefined;
  /**
   * Settles once a run executing here has finished for good (undefined when it is not running
   * here). Deliveries wait for it: a notification command carries the run's `PETIT_RUN_ID`,
   * and the run's end reaps processes that do.
   */
  readonly settled?: (runId: string) => Promise<unknown> | undefined;
  /**
   * The environment notification commands start from.
   *
   * @default {Deno.env.toObject()}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The time of the events published.
   *
   * @default {Date.now}
   */
  readonly now?: () => number;
}

/** What one delivery needs. */
interface Delivery {
  readonly spec: NotifySpec;
  readonly payload: NotificationPayload;
  readonly cwd: string | undefined;
  readonly settled: Promise<unknown> | undefined;
  readonly stop: AbortSignal;
}

/** One delivery attempt through the target's channel; rejects with why it failed. */
function send(
  target: NotifyTarget,
  payload: NotificationPayload,
  context: CommandContext,
): Promise<void> {
  switch (target.channel) {
    case "webhook":
      return sendWebhook(target.url, payload, context);
    case "ntfy":
      return sendNtfy(target.url, payload, context);
    case "command":
      return runNotifyCommand(target.argv, payload, context);
  }
}

/** Sends the notifications of finished runs; see the module documentation. */
export class Notifier {
  readonly #o: NotifierOptions;
  readonly #pending = new Set<Promise<void>>();
  #stop = new AbortController();
  readonly #unsubscribe: () => void;

  /** Subscribes to `options.bus`; {@link Notifier.close} unsubscribes. */
  constructor(options: NotifierOptions) {
    this.#o = options;
    this.#unsubscribe = options.bus.subscribe((event) => this.#heard(event));
  }

  /** Notifications being delivered (or waiting for a retry). */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Waits for the deliveries under way, at most `timeoutMs` (or until `until` settles); those
   * still going then are given up (each publishes a final `notification_failed`). Resolves
   * with the number given up. Deliveries queued later start afresh.
   */
  async drain(timeoutMs: number, until?: Promise<unknown>): Promise<number> {
    if (this.#pending.size === 0) return 0;
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const done = this.#allSettled();
    await Promise.race([done, timeUp, until ?? timeUp]);
    clearTimeout(timer);
    const left = this.#pending.size;
    if (left === 0) return 0;
    const stop = this.#stop;
    this.#stop = new AbortController();
    const waited = formatDuration(performance.now() - started);
    stop.abort(new Error(`not delivered: Petit is exiting (waited ${waited})`));
    await done;
    return left;
  }

  /** Stops hearing run ends. Deliveries under way go on (drain first to wait for them). */
  close(): void {
    this.#unsubscribe();
  }

  /** Settles when nothing is pending, including deliveries queued meanwhile. */
  async #allSettled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** A run ended: queue what its job asks for. Synchronous and cheap: the run is waiting. */
  #heard(event: PetitEvent): void {
    if (event.type !== "job_completed" && event.type !== "job_skipped") return;
    const outcome = notifyOutcome(endStatus(event));
    const job = this.#o.job(event.job_id);
    const specs = (job?.notify ?? this.#o.defaults ?? []).filter((n) =>
      outcome !== null && n.on.includes(outcome)
    );
    if (specs.length === 0) return;
    const payload = this.#payload(event, job);
    const settled = event.run_id !== null ? this.#o.settled?.(event.run_id) : undefined;
    const cwd = job?.file ? dirname(job.file) : undefined;
    for (const spec of specs) {
      // #deliver reports its own failures as events; anything else is a bug, logged.
      const delivery = this.#deliver({ spec, payload, cwd, settled, stop: this.#stop.signal })
        .catch((err) => console.error(`petit: notification crashed: ${String(err)}`));
      this.#pending.add(delivery);
      void delivery.finally(() => this.#pending.delete(delivery));
    }
  }

  /** The payload, from the stored run when it can be read (else from the event alone). */
  #payload(event: RunEndEvent, job: JobSpec | undefined): NotificationPayload {
    let run: RunFacts | null = null;
    let tasks: readonly TaskFacts[] = [];
    if (event.run_id !== null) {
      try {
        run = this.#o.runs.getRun(event.run_id);
        tasks = this.#o.runs.listTaskRuns(event.run_id);
      } catch {
        // A store that cannot be read now (closing, disk trouble): the event says enough.
      }
    }
    return buildPayload(event, job?.name ?? event.job_id, run, tasks);
  }

  /** Delivers one notification: up to NOTIFY_ATTEMPTS attempts, each one an event. */
  async #deliver(d: Delivery): Promise<void> {
    // Never on the run's time: after the run has settled, and at least one tick later.
    await d.settled?.catch(() => {});
    await delay(0);
    const { target, secrets } = describeTarget(d.spec.target);
    const now = this.#o.now ?? Date.now;
    const base = {
      job_id: d.payload.job_id,
      run_id: d.payload.run_id,
      run_status: d.payload.status,
      channel: d.spec.target.channel,
      target,
    };
    const delays = this.#o.retryDelaysMs ?? NOTIFY_RETRY_DELAYS_MS;
    const failed = (attempt: number, err: unknown, retryInMs: number | null) => {
      const event: NotificationFailedEvent = {
        type: "notification_failed",
        at: now(),
        ...base,
        attempt,
        error: maskSecrets(err instanceof Error ? err.message : String(err), secrets),
        retry_in_ms: retryInMs,
      };
      this.#o.bus.publish(event);
    };
    const context: CommandContext = {
      timeoutMs: d.spec.timeoutMs,
      signal: d.stop,
      cwd: d.cwd,
      env: this.#o.env ?? processEnv(),
    };
    for (let attempt = 1;; attempt++) {
      try {
        if (d.stop.aborted) throw d.stop.reason;
        await send(d.spec.target, d.payload, context);
        this.#o.bus.publish({ type: "notification_sent", at: now(), ...base, attempt });
        return;
      } catch (err) {
        const retryInMs = attempt < NOTIFY_ATTEMPTS && !d.stop.aborted
          ? delays[Math.min(attempt - 1, delays.length - 1)] ?? 0
          : null;
        failed(attempt, err, retryInMs);
        if (retryInMs === null) return;
        try {
          await delay(retryInMs, { signal: d.stop });
        } catch (reason) {
          failed(attempt, reason, null); // Given up while waiting to retry.
          return;
        }
      }
    }
  }
}

/** This process's environment, or none where reading it is not allowed (a library user's). */
function processEnv(): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}
