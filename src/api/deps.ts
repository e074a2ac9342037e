/**
 * What the API's routes are built from.
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
  /** Largest request body accepted, in bytes (default 64 KiB). */
  readonly maxBodyBytes?: number;
  /** Metrics collector; one subscribed to the scheduler's bus is created when absent. */
  readonly metrics?: Metrics;
  /** Aborted when the server closes: ends open event streams so shutdown is not held up. */
  readonly closing?: AbortSignal;
  /** Interval of SSE heartbeat comments in ms (default 15 000). */
  readonly heartbeatMs?: number;
}

/** The engine to ask for next runs and lateness, if any. */
export function engineOf(deps: Pick<ApiDeps, "scheduler" | "engine">): Engine | null {
  return deps.engine ?? deps.scheduler.engine ?? null;
}

/** Default body limit: job triggers and the like are tiny. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
