/**
 * What the API's routes are built from, and the API's defaults: address, port, body limit
 * and heartbeat.
 *
 * @module
 */

import type { Engine } from "../scheduler/engine.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import type { Metrics } from "./metrics.ts";

/** Dependencies of {@link createApp}. */
export interface ApiDeps {
  /** The scheduler the API acts on. */
  readonly scheduler: Scheduler;
  /**
   * The firing engine, for next runs and lateness. Default: the scheduler's own, looked up
   * at each request (it exists only once the scheduler has started).
   */
  readonly engine?: Engine | null;
  /** When set, every route but `/api/health` needs `Authorization: Bearer <token>`. */
  readonly token?: string | null;
  /** The one browser origin allowed to call the API (CORS); none when null. */
  readonly cors?: string | null;
  /**
   * Names requests may give in `Host` besides loopback names and addresses; null for any
   * name. Default: none besides those (see `guard.ts`).
   */
  readonly allowedHosts?: readonly string[] | null;
  /**
   * Largest request body accepted, in bytes.
   *
   * @default {DEFAULT_MAX_BODY_BYTES}
   */
  readonly maxBodyBytes?: number;
  /** Metrics collector; one subscribed to the scheduler's bus is created when absent. */
  readonly metrics?: Metrics;
  /** Aborted when the server closes: ends open event streams so shutdown is not held up. */
  readonly closing?: AbortSignal;
  /**
   * Interval of SSE heartbeat comments in ms.
   *
   * @default {DEFAULT_HEARTBEAT_MS}
   */
  readonly heartbeatMs?: number;
}

/** The engine to ask for next runs and lateness, if any. */
export function engineOf(deps: Pick<ApiDeps, "scheduler" | "engine">): Engine | null {
  return deps.engine ?? deps.scheduler.engine ?? null;
}

/**
 * Largest request body, in bytes, unless {@link ApiDeps.maxBodyBytes} says otherwise: job
 * triggers and the like are tiny.
 *
 * @default {65536}
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Milliseconds between the `: heartbeat` comments of an event stream, unless
 * {@link ApiDeps.heartbeatMs} says otherwise.
 *
 * @default {15_000}
 */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * Address `pt run` serves the API on when neither flag, environment nor config file names
 * one: loopback, so an API without a token is not exposed.
 *
 * @default {"127.0.0.1"}
 */
export const DEFAULT_API_HOST = "127.0.0.1";

/**
 * Port `pt run` serves the API on when neither flag, environment nor config file names one.
 *
 * @default {8565}
 */
export const DEFAULT_API_PORT = 8565;
