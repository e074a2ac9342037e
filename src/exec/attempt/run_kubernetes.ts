/**
 * The {@linkcode RunAttempt} of Kubernetes tasks (`type: kubernetes`): the task's container
 * runs as a `batch/v1` Job on the configured cluster. The attempt creates the Job, waits for
 * its pod (looking at it less often the longer nothing changes), follows the container's log
 * into the same capped, masked capture as a process's output (pod logs merge stdout and
 * stderr: all of it is the task's stdout; Petit's own notes go to its stderr), and takes the
 * exit code from the container's terminated state. Lines `::petit-output key=value` on the
 * log are the task's outputs. Values named in the job's `secrets:` are not in the Job's spec:
 * they go in a Secret made before the Job, which the container reads (`kube_objects.ts`).
 * Whatever the ending (success, failure, timeout, cancel, shutdown), the Job is deleted with
 * Background propagation, the attempt waits, a bounded time, for its pods to be gone, and
 * the Secret is deleted. Needs --allow-net (the API server), and --allow-read and
 * --allow-env when it reads the kubeconfig.
 *
 * @module
 */

import { delay, longTimeout } from "../../core/delay.ts";
import type { TaskSpec } from "../../core/model.ts";
import { renderTemplate } from "../../core/template.ts";
import { taskEnvironment } from "../command.ts";
import { lazyCluster } from "../kube/cluster.ts";
import { KubeApiError } from "../kube/errors.ts";
import { KubeConfigError } from "../kube/kubeconfig.ts";
import { followContainerLog } from "../kube/log_follow.ts";
import {
  buildKubeJob,
  buildKubeSecret,
  type ManifestInput,
  randomSuffix,
} from "../kube/manifest.ts";
import { currentPod, exitError, jobFailure, type PodView, podView } from "../kube/pod_state.ts";
import type { KubeClient } from "../kube/types.ts";
import { DEFAULT_KILL_GRACE_MS } from "../process/mod.ts";
import type { AttemptContext, AttemptResult, RunAttempt } from "./contract.ts";
import {
  createObjects,
  errorText,
  type JobRef,
  type MadeObjects,
  removeObjects,
  seconds,
} from "./kube_objects.ts";
import { type Ending, KubeAttemptOutput } from "./kube_output.ts";

/**
 * First pause between two looks at the pod; it grows by half while nothing changes, up to
 * {@linkcode DEFAULT_POLL_MAX_MS}, so a long task costs one request every 2 s at most.
 *
 * @default {200}
 */
export const DEFAULT_POLL_MIN_MS = 200;

/**
 * Longest pause between two looks at the pod.
 *
 * @default {2000}
 */
export const DEFAULT_POLL_MAX_MS = 2000;

/**
 * How long a pod may stay unschedulable before the attempt fails (transient: a busy cluster
 * frees room, and `retry` tries again). A task's `timeout` ends the wait sooner. The
 * scheduler's reason is written to the attempt's stderr as soon as it is seen.
 *
 * @default {300000} (5 minutes)
 */
export const DEFAULT_UNSCHEDULABLE_GRACE_MS = 5 * 60_000;

/**
 * How long a pod's status may lag behind the end of its log: a log stream that ended while
 * the container still runs this long after was dropped, and is resumed.
 *
 * @default {3000}
 */
export const DEFAULT_LOG_SETTLE_MS = 3000;

/**
 * How long past the kill grace the attempt waits for its pods to be gone once the Job is
 * deleted, before it ends anyway (noting it on stderr).
 *
 * @default {15000}
 */
export const DEFAULT_PODS_GONE_MARGIN_MS = 15_000;

/** Timings of Kubernetes attempts; the defaults suit a real cluster, tests shorten them. */
export interface KubernetesAttemptOptions {
  /**
   * First pause between two looks at the pod.
   *
   * @default {DEFAULT_POLL_MIN_MS}
   */
  readonly pollMinMs?: number;
  /**
   * Longest pause between two looks at the pod.
   *
   * @default {DEFAULT_POLL_MAX_MS}
   */
  readonly pollMaxMs?: number;
  /**
   * How long a pod may stay unschedulable.
   *
   * @default {DEFAULT_UNSCHEDULABLE_GRACE_MS}
   */
  readonly unschedulableGraceMs?: number;
  /**
   * How long the pod's status may lag behind the end of its log.
   *
   * @default {DEFAULT_LOG_SETTLE_MS}
   */
  readonly logSettleMs?: number;
  /**
   * How long past the kill grace to wait for the pods to be gone.
   *
   * @default {DEFAULT_PODS_GONE_MARGIN_MS}
   */
  readonly podsGoneMarginMs?: number;
}

type Timings = Required<KubernetesAttemptOptions>;

/** The cluster of attempts whose context brings none: the default kubeconfig, made once. */
let sharedCluster: ReturnType<typeof lazyCluster> | null = null;

function defaultClient(): Promise<KubeClient> {
  sharedCluster ??= lazyCluster({ kubeconfig: null, context: null, namespace: null });
  return sharedCluster.client();
}

/** A Kubernetes attempt with the given timings. */
export function kubernetesAttempt(options: KubernetesAttemptOptions = {}): RunAttempt {
  const timings: Timings = {
    pollMinMs: options.pollMinMs ?? DEFAULT_POLL_MIN_MS,
    pollMaxMs: options.pollMaxMs ?? DEFAULT_POLL_MAX_MS,
    unschedulableGraceMs: options.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS,
    logSettleMs: options.logSettleMs ?? DEFAULT_LOG_SETTLE_MS,
    podsGoneMarginMs: options.podsGoneMarginMs ?? DEFAULT_PODS_GONE_MARGIN_MS,
  };
  return (task, ctx) => runAttempt(task, ctx, timings);
}

/** Runs one attempt of a Kubernetes task with the default timings. */
export const runKubernetesAttempt: RunAttempt = kubernetesAttempt();

async function runAttempt(
  task: TaskSpec,
  ctx: AttemptContext,
  timings: Timings,
): Promise<AttemptResult> {
  const startedAt = Date.now();
  const spec = task.kubernetes;
  if (!spec) throw new Error(`task "${task.id}" has no container`);
  const out = new KubeAttemptOutput(ctx);
  const nothingStarted = (ending: Ending) => {
    ctx.started({ pgid: null, procStart: null });
    return out.result(startedAt, ending, ctx.timeoutMs);
  };
  if (ctx.signal?.aborted) return nothingStarted({ kind: "cancelled" });
  let client: KubeClient;
  try {
    client = await (ctx.kubernetes ?? defaultClient)();
  } catch (err) {
    // A kubeconfig to fix is no hiccup: `transient_only` does not retry it.
    return nothingStarted({
      kind: "failed",
      error: errorText(err),
      transient: !(err instanceof KubeConfigError),
    });
  }
  // A cancel while the client was made: the abort event has passed, nothing below would see it.
  if (ctx.signal?.aborted) return nothingStarted({ kind: "cancelled" });
  const graceMs = ctx.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const render = (text: string) => renderTemplate(text, ctx.templates);
  const image = render(spec.image);
  const input: ManifestInput = {
    jobId: ctx.job.id,
    runId: ctx.runId,
    taskId: task.id,
    attempt: ctx.attempt,
    suffix: randomSuffix(),
    image,
    command: spec.command.map(render),
    args: spec.args.map(render),
    // The cluster's environment is the bottom layer there, not `pt`'s.
    env: taskEnvironment({ ...ctx, task, baseEnv: {} }, spec.environment),
    secretNames: new Set(ctx.job.secrets ?? []),
    spec,
    timeoutMs: ctx.timeoutMs,
    killGraceMs: graceMs,
  };
  const manifest = buildKubeJob(input);
  const secret = buildKubeSecret(input);
  const job: JobRef = {
    client,
    namespace: spec.namespace ?? client.access.namespace,
    name: manifest.metadata.name!,
    image,
  };

  const stop = new AbortController();
  let reason: "timeout" | "cancelled" | null = null;
  const halt = (why: "timeout" | "cancelled") => {
    if (reason !== null) return;
    reason = why;
    stop.abort();
  };
  const timer = ctx.timeoutMs !== null ? longTimeout(() => halt("timeout"), ctx.timeoutMs) : null;
  const onAbort = () => halt("cancelled");
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  const made: MadeObjects = { job: false, secret: false };
  let ending: Ending;
  try {
    await createObjects(job, manifest, secret, made, out);
    ctx.started({ pgid: null, procStart: null });
    ctx.onCapture?.(out.captures);
    ending = await watchJob(job, stop.signal, out, timings);
  } catch (err) {
    ending = reason !== null
      ? { kind: reason }
      : { kind: "failed", error: errorText(err), transient: isTransient(err) };
  } finally {
    timer?.clear();
    ctx.signal?.removeEventListener("abort", onAbort);
  }
  ctx.started({ pgid: null, procStart: null }); // ignored when the Job was created
  // A timeout or cancel wins over what the watch made of the pod being stopped.
  if (reason !== null && ending.kind !== "ok") ending = { kind: reason };
  await removeObjects(job, made, graceMs, timings, out);
  return out.result(startedAt, ending, ctx.timeoutMs);
}

/** The view of the Job's pod now, with its name. */
async function lookAtPod(job: JobRef): Promise<{ view: PodView; pod: string | null }> {
  const pod = currentPod(await job.client.listPods(job.namespace, `job-name=${job.name}`));
  return { view: podView(pod, job.image), pod: pod?.metadata.name ?? null };
}

/** Waits for the pod, follows its log and returns how the container ended. */
async function watchJob(
  job: JobRef,
  signal: AbortSignal,
  out: KubeAttemptOutput,
  t: Timings,
): Promise<Ending> {
  let wait = t.pollMinMs;
  let lastKind: string | null = null;
  let seenPod = false;
  let unschedulableSince: number | null = null;
  for (;;) {
    const { view, pod } = await lookAtPod(job);
    if (view.kind === "running" || view.kind === "terminated") {
      return await followToEnd(job, pod!, view, signal, out, t);
    }
    if (view.kind === "failed") return view;
    if (view.kind === "none") {
      if (seenPod) return gone(`the pod of Job ${job.name} was deleted outside Petit`);
      // No pod yet: the Job may have failed to make one, or been deleted.
      const found = await job.client.getJob(job.namespace, job.name);
      if (found === null) return gone(`Job ${job.name} was deleted outside Petit`);
      const failure = jobFailure(found);
      if (failure !== null) return gone(failure);
    } else seenPod = true;
    if (view.kind === "unschedulable") {
      unschedulableSince ??= Date.now();
      if (lastKind !== "unschedulable") {
        out.note(
          `pod ${pod} cannot be scheduled yet: ${view.message} (waiting up to ${
            seconds(t.unschedulableGraceMs)
          })`,
        );
      }
      if (Date.now() - unschedulableSince >= t.unschedulableGraceMs) {
        return gone(
          `pod ${pod} could not be scheduled in ${seconds(t.unschedulableGraceMs)}: ` +
            view.message,
        );
      }
    } else unschedulableSince = null;
    wait = view.kind === lastKind ? Math.min(wait * 1.5, t.pollMaxMs) : t.pollMinMs;
    lastKind = view.kind;
    await delay(wait, { signal });
  }
}

/** Follows the log of a running (or ended) container, then takes its exit code. */
async function followToEnd(
  job: JobRef,
  pod: string,
  first: Extract<PodView, { kind: "running" | "terminated" }>,
  signal: AbortSignal,
  out: KubeAttemptOutput,
  t: Timings,
): Promise<Ending> {
  let last: PodView = first;
  const followed = await followContainerLog({
    client: job.client,
    namespace: job.namespace,
    pod,
    startedAt: first.startedAt,
    signal,
    sink: (chunk) => out.push(chunk),
    // The stream ended: the container did, or the connection dropped. The status may lag
    // behind the log's end, so "running" counts only once it lasted `logSettleMs`.
    stillRunning: async () => {
      const deadline = Date.now() + t.logSettleMs;
      for (let wait = t.pollMinMs;; wait = Math.min(wait * 1.5, t.pollMaxMs)) {
        last = (await lookAtPod(job)).view;
        if (last.kind !== "running") return false;
        if (Date.now() >= deadline) return true;
        await delay(Math.min(wait, deadline - Date.now()), { signal });
      }
    },
  });
  if (followed.gaveUp) {
    out.note(
      `the log stream dropped ${followed.resumes + 1} times: output after ${followed.bytes} ` +
        "bytes is not captured",
    );
  }
  for (let wait = t.pollMinMs;; wait = Math.min(wait * 1.5, t.pollMaxMs)) {
    switch (last.kind) {
      case "terminated":
        return last.exitCode === 0 ? { kind: "ok" } : {
          kind: "failed",
          error: exitError(last.exitCode, last.reason),
          transient: false,
          exitCode: last.exitCode,
        };
      case "failed":
        return { kind: "failed", error: last.error, transient: last.transient };
      case "none":
        return gone(`the pod of Job ${job.name} was deleted outside Petit`);
    }
    await delay(wait, { signal });
    last = (await lookAtPod(job)).view;
  }
}

/** A failure another attempt may not meet (the Job or pod went away, no room, a deadline). */
function gone(error: string): Ending {
  return { kind: "failed", error, transient: true };
}

/** Unreachable, 429 and 5xx answers: another attempt may not meet them. */
function isTransient(err: unknown): boolean {
  return err instanceof KubeApiError ? err.transient : !(err instanceof KubeConfigError);
}
