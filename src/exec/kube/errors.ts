/**
 * The error of a failed Kubernetes API call, with what a task error needs: the status, the
 * API's reason and whether retrying the task may help.
 *
 * @module
 */

import type { KubeApiErrorInfo } from "./types.ts";

/** An error answer of the API server, or a server that could not be reached. */
export class KubeApiError extends Error implements KubeApiErrorInfo {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  /** The Status object's `reason` (e.g. `Forbidden`), or "". */
  readonly reason: string;
  /** Unreachable, 429 and 5xx: worth retrying the task. */
  readonly transient: boolean;

  /** Builds the error; `message` says which call failed and why, without secrets. */
  constructor(message: string, status: number, reason = "") {
    super(message);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
    this.transient = status === 0 || status === 429 || status >= 500;
  }
}
