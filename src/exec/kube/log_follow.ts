/**
 * Follows a task container's log to its end, across dropped connections. When the stream
 * ends while the container still runs, it is opened again from the container's start
 * (`sinceTime`) and the bytes already received are skipped: `sinceTime` alone is whole
 * seconds on a real cluster (the API server passes it on to the kubelet as RFC 3339), so
 * resuming from the last line's time would repeat or lose lines of that second, and the
 * client does not ask for timestamps to tell them apart. The cost, reading the log again from
 * its start, is paid only when a stream drops. Needs --allow-net.
 *
 * A stream that fails (a dropped connection) is opened again even when the container has
 * ended meanwhile: the kubelet keeps an ended container's log, and the lines after the drop
 * are read from there. A stream that ends cleanly ends the following once the container has
 * ended (else it is opened again too).
 *
 * Limits: a kubelet that rotated the container's log (10 MiB by default) serves only the
 * newest file, so a resume after a rotation skips too much.
 *
 * @module
 */

import { CONTAINER_NAME } from "./manifest.ts";
import type { KubeClient } from "./types.ts";

/**
 * Times a log stream is opened again after it dropped, before the rest of the output is
 * given up (the attempt still waits for the container's exit code).
 *
 * @default {10}
 */
export const MAX_LOG_RESUMES = 10;

/** What {@linkcode followContainerLog} needs. */
export interface FollowLogInput {
  /** The cluster's client. */
  readonly client: KubeClient;
  /** The pod's namespace. */
  readonly namespace: string;
  /** The pod whose `task` container is followed. */
  readonly pod: string;
  /** The container's start (RFC 3339) from its status, or null. */
  readonly startedAt: string | null;
  /** Ends the following (timeout, cancel). */
  readonly signal: AbortSignal;
  /** Receives the log's bytes, each once, in order. */
  readonly sink: (chunk: Uint8Array) => void;
  /**
   * Called when a stream ends: whether the container still runs (the stream dropped) or has
   * ended (the log is complete). It may wait for the pod's status to catch up.
   */
  readonly stillRunning: () => Promise<boolean>;
  /** Resumes allowed; {@linkcode MAX_LOG_RESUMES} when absent. */
  readonly maxResumes?: number;
}

/** How following ended. */
export interface FollowLogResult {
  /** Bytes received. */
  readonly bytes: number;
  /** Streams opened again after a drop. */
  readonly resumes: number;
  /** Following was given up after {@linkcode MAX_LOG_RESUMES} drops: output may be missing. */
  readonly gaveUp: boolean;
}

/** Follows the log of the task container of `pod` until the container has ended. */
export async function followContainerLog(input: FollowLogInput): Promise<FollowLogResult> {
  const maxResumes = input.maxResumes ?? MAX_LOG_RESUMES;
  let received = 0;
  for (let resumes = 0;; resumes++) {
    // The first stream starts at the log's start; a resumed one too, and skips what came.
    const skip = received;
    const stream = await input.client.followLog(input.namespace, input.pod, {
      container: CONTAINER_NAME,
      ...(resumes > 0 && input.startedAt !== null ? { sinceTime: input.startedAt } : {}),
      signal: input.signal,
    });
    let at = 0;
    let dropped = false;
    try {
      for await (const chunk of stream) {
        const start = at;
        at += chunk.length;
        if (at <= skip) continue;
        const fresh = start < skip ? chunk.subarray(skip - start) : chunk;
        received += fresh.length;
        input.sink(fresh);
      }
    } catch {
      dropped = true; // the connection failed (or `signal` aborted, checked next)
    }
    if (input.signal.aborted || (!dropped && !(await input.stillRunning()))) {
      return { bytes: received, resumes, gaveUp: false };
    }
    if (resumes >= maxResumes) return { bytes: received, resumes, gaveUp: true };
  }
}
