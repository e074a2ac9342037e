/**
 * What a Kubernetes task's pod is doing, read from its status as Petit acts on it: not there
 * yet, on its way, unschedulable, failed for a reason no waiting mends (an image that cannot
 * be pulled, a container that cannot be created, an eviction), running, or ended with an
 * exit code. Pure: no I/O.
 *
 * @module
 */

import { CONTAINER_NAME } from "./manifest.ts";
import type { ContainerState, KubeJob, KubePod } from "./types.ts";

/** The state of a task's pod. */
export type PodView =
  | { readonly kind: "none" }
  /** Scheduled or being created; `note` is the waiting reason, e.g. `ContainerCreating`. */
  | { readonly kind: "pending"; readonly note: string | null }
  /** The scheduler finds no node: its own message says why. */
  | { readonly kind: "unschedulable"; readonly message: string }
  | { readonly kind: "failed"; readonly error: string; readonly transient: boolean }
  | { readonly kind: "running"; readonly startedAt: string | null }
  | {
    readonly kind: "terminated";
    readonly exitCode: number;
    readonly reason: string | null;
    readonly startedAt: string | null;
  };

/** Waiting reasons of an image that cannot be pulled: the kubelet would back off forever. */
const IMAGE_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
]);

/** Waiting reasons of a container that cannot be made (a missing Secret or ConfigMap, …). */
const CONTAINER_REASONS = new Set([
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

/** The pod Petit watches among those of its Job: the newest not being deleted. */
export function currentPod(pods: readonly KubePod[]): KubePod | null {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  const list = live.length > 0 ? live : [...pods];
  list.sort((a, b) =>
    (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "")
  );
  return list[0] ?? null;
}

/** What `pod` is doing, for the task's container of image `image`. */
export function podView(pod: KubePod | null, image: string): PodView {
  if (pod === null) return { kind: "none" };
  const status = pod.status ?? {};
  if (status.reason === "Evicted") {
    return {
      kind: "failed",
      error: `pod ${pod.metadata.name} was evicted: ${
        oneLine(status.message ?? "no reason given")
      }`,
      // The node was short of memory or disk: another attempt may land elsewhere.
      transient: true,
    };
  }
  const state: ContainerState = status.containerStatuses?.find((c) => c.name === CONTAINER_NAME)
    ?.state ?? {};
  if (state.terminated) {
    return {
      kind: "terminated",
      exitCode: state.terminated.exitCode,
      reason: state.terminated.reason ?? null,
      startedAt: state.terminated.startedAt ?? null,
    };
  }
  if (state.running) return { kind: "running", startedAt: state.running.startedAt ?? null };
  const waiting = state.waiting;
  if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
    return {
      kind: "failed",
      error: `image "${image}" cannot be pulled (${waiting.reason}): ` +
        oneLine(waiting.message ?? "no message") +
        " (check the image name and tag, and the node's access to its registry)",
      transient: false,
    };
  }
  if (waiting?.reason && CONTAINER_REASONS.has(waiting.reason)) {
    return {
      kind: "failed",
      error: `the container cannot be created (${waiting.reason}): ` +
        oneLine(waiting.message ?? "no message"),
      transient: false,
    };
  }
  const scheduled = status.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return { kind: "unschedulable", message: oneLine(scheduled.message ?? "no node fits") };
  }
  if (status.phase === "Failed") {
    return {
      kind: "failed",
      error: `pod ${pod.metadata.name} failed${status.reason ? ` (${status.reason})` : ""}: ${
        oneLine(status.message ?? "no message")
      }`,
      transient: true,
    };
  }
  return { kind: "pending", note: waiting?.reason ?? null };
}

/** Why a Job failed (its `Failed` condition), or null while it has not. */
export function jobFailure(job: KubeJob): string | null {
  const failed = job.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
  if (!failed) return null;
  return `Job ${job.metadata.name} failed${failed.reason ? ` (${failed.reason})` : ""}: ${
    oneLine(failed.message ?? "no message")
  }`;
}

/** The error of a container that ended with `exitCode`: `exit code N`, with OOM spelt out. */
export function exitError(exitCode: number, reason: string | null): string {
  return reason === "OOMKilled"
    ? `exit code ${exitCode} (OOMKilled: the container went over its memory limit)`
    : `exit code ${exitCode}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().replace(/\.$/, "");
}
