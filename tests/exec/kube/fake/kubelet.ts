/**
 * The simulated scheduler and kubelet of the fake cluster: a pod whose node selector has
 * `petit.test/unschedulable` never fits; an image containing `pull-error` never pulls; a
 * container whose env reads a Secret (or key) that is not there waits in
 * `CreateContainerConfigError`, retried each step; any other container runs its
 * `[...command, ...args]` (`["true"]` when neither is given; the image is ignored) as a local
 * process in its own process group, with the container's env (`container_env.ts`), stdout
 * and stderr merged into the pod's log. Needs --allow-run (`setsid`, `sh`) and
 * --allow-env (PATH).
 *
 * @module
 */

import { containerEnv } from "./container_env.ts";
import {
  ApiFailure,
  type Condition,
  type Meta,
  now,
  type PodObj,
  type SecretObj,
  type StateObj,
} from "./objects.ts";

/** A piece of a pod's log: a line, or the part of one that was written at once. */
interface LogEntry {
  readonly ms: number;
  readonly bytes: Uint8Array;
  readonly lineStart: boolean;
}

/** A pod and what its container is doing. */
export interface PodRec {
  readonly obj: PodObj;
  readonly jobUid: string | null;
  child: Deno.ChildProcess | null;
  /** Resolves when the process has exited and its output is all in `log`. */
  done: Promise<void> | null;
  readonly log: LogEntry[];
  /** The log is complete: the container ended, will never run, or the pod is gone. */
  ended: boolean;
  wake: (() => void)[];
  /** Its end was counted by its Job already. */
  counted: boolean;
  evicted: boolean;
}

/** Options of a log request. */
export interface LogOptions {
  readonly follow: boolean;
  readonly container: string | null;
  readonly sinceTime: string | null;
  readonly timestamps: boolean;
}

/** What the kubelet needs from the control plane. */
export interface KubeletHost {
  readonly workDir: string;
  /** Runs `fn` after a simulated step (or `ms`). */
  later(fn: () => void, ms?: number): void;
  /** Bumps an object's resourceVersion after a change. */
  touch(meta: Meta): void;
  /** The pod was deleted (or is being): the kubelet stops working on it. */
  gone(rec: PodRec): boolean;
  /** The container runs now. */
  started(rec: PodRec): void;
  /** The container ended (`ok`: exit 0) or was evicted. */
  ended(rec: PodRec, ok: boolean): void;
  /** A Secret as stored now, or undefined. */
  secret(namespace: string, name: string): SecretObj | undefined;
}

/**
 * Longest wait after SIGTERM before SIGKILL when a pod is deleted (the real default is
 * 30 s; tests want it short).
 *
 * @default {1000}
 */
const GRACE_MS = 1000;

/** A new pod record, not yet scheduled. */
export function podRec(obj: PodObj, jobUid: string | null): PodRec {
  return {
    obj,
    jobUid,
    child: null,
    done: null,
    log: [],
    ended: false,
    wake: [],
    counted: false,
    evicted: false,
  };
}

/** The scheduler and kubelet of the one fake node. */
export class FakeKubelet {
  readonly #host: KubeletHost;

  /** A kubelet working for `host`. */
  constructor(host: KubeletHost) {
    this.#host = host;
  }

  #set(rec: PodRec, status: Partial<PodObj["status"]>, state?: StateObj): void {
    const pod = rec.obj;
    Object.assign(pod.status, status);
    if (state) {
      const c = pod.spec.containers[0];
      const running = !!state.running;
      pod.status.containerStatuses = [{
        name: c.name,
        image: c.image,
        imageID: "",
        ready: running,
        started: running,
        restartCount: 0,
        state,
      }];
    }
    this.#host.touch(pod.metadata);
  }

  /** Schedules a new pod after a step; its container starts a step later. */
  admit(rec: PodRec): void {
    this.#host.later(() => this.#schedule(rec));
  }

  #schedule(rec: PodRec): void {
    if (this.#host.gone(rec)) return;
    const t = now();
    if (rec.obj.spec.nodeSelector?.["petit.test/unschedulable"] !== undefined) {
      this.#set(rec, {
        conditions: [{
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/" +
            "selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for " +
            "scheduling.",
          lastTransitionTime: t,
        }],
      });
      return;
    }
    rec.obj.spec.nodeName = "fake-node";
    this.#set(rec, {
      conditions: conditions(t, false),
      hostIP: "127.0.0.1",
      podIP: "127.0.0.1",
      startTime: t,
    }, { waiting: { reason: "ContainerCreating" } });
    this.#host.later(() => this.#run(rec));
  }

  #run(rec: PodRec): void {
    if (this.#host.gone(rec)) return;
    const c = rec.obj.spec.containers[0];
    if (c.image.includes("pull-error")) {
      const ref = `docker.io/library/${c.image}`;
      this.#set(rec, {}, {
        waiting: {
          reason: "ErrImagePull",
          message: `failed to pull and unpack image "${ref}": failed to resolve reference ` +
            `"${ref}": ${ref}: not found`,
        },
      });
      this.#host.later(() => {
        if (this.#host.gone(rec)) return;
        this.#set(rec, {}, {
          waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${c.image}"` },
        });
      });
      return;
    }
    const ns = rec.obj.metadata.namespace;
    const made = containerEnv(c.env ?? [], rec.obj, (name) => this.#host.secret(ns, name));
    if ("error" in made) {
      // The real kubelet retries (with a back-off): a Secret made later lets it start.
      const waiting = rec.obj.status.containerStatuses?.[0]?.state.waiting;
      if (waiting?.message !== made.error) {
        this.#set(rec, {}, {
          waiting: { reason: "CreateContainerConfigError", message: made.error },
        });
      }
      this.#host.later(() => this.#run(rec));
      return;
    }
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOSTNAME: rec.obj.metadata.name,
      ...made.env,
    };
    const startedAt = now();
    let child: Deno.ChildProcess;
    try {
      // Its own session and group (setsid, util-linux), so a deletion kills the whole tree;
      // `exec … 2>&1` merges stderr into the one log, as a container runtime does.
      child = rec.child = new Deno.Command("setsid", {
        args: ["sh", "-c", 'exec "$@" 2>&1', "sh", ...(argv.length ? argv : ["true"])],
        cwd: this.#host.workDir,
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
    } catch (err) {
      this.#exit(rec, 128, startedAt, `failed to start: ${(err as Error).message}`);
      return;
    }
    this.#set(rec, { phase: "Running", conditions: conditions(startedAt, true) }, {
      running: { startedAt },
    });
    this.#host.started(rec);
    const pumped = this.#pump(rec, child.stdout);
    // When the main process ends, the runtime ends the whole container: its group here.
    rec.done = child.status.then(async (status) => {
      kill(rec, "SIGKILL");
      await pumped;
      this.#exit(rec, status.code, startedAt);
    });
  }

  async #pump(rec: PodRec, out: ReadableStream<Uint8Array>): Promise<void> {
    let lineStart = true;
    for await (const chunk of out) {
      const ms = Date.now();
      let from = 0;
      while (from < chunk.length) {
        const nl = chunk.indexOf(10, from);
        const to = nl < 0 ? chunk.length : nl + 1;
        rec.log.push({ ms, bytes: chunk.subarray(from, to), lineStart });
        lineStart = nl >= 0;
        from = to;
      }
      wake(rec);
    }
  }

  #exit(rec: PodRec, exitCode: number, startedAt: string, message?: string): void {
    rec.ended = true;
    wake(rec);
    const ok = exitCode === 0 && !rec.evicted;
    this.#set(rec, {
      phase: ok ? "Succeeded" : "Failed",
      // An evicted pod keeps its DisruptionTarget condition.
      conditions: rec.evicted
        ? rec.obj.status.conditions
        : conditions(now(), false, "PodCompleted"),
    }, {
      terminated: {
        exitCode,
        reason: ok ? "Completed" : message ? "StartError" : "Error",
        ...(message ? { message } : {}),
        startedAt,
        finishedAt: now(),
      },
    });
    this.#host.ended(rec, ok);
  }

  /**
   * Stops a deleted pod's container: SIGTERM to its group, SIGKILL after the grace period.
   * Resolves when nothing of it runs.
   */
  async stop(rec: PodRec, graceSeconds: number): Promise<void> {
    if (!rec.child || !rec.done || rec.ended) {
      await new Promise<void>((resolve) => this.#host.later(resolve));
    } else {
      kill(rec, graceSeconds === 0 ? "SIGKILL" : "SIGTERM");
      const t = setTimeout(() => kill(rec, "SIGKILL"), Math.min(graceSeconds * 1000, GRACE_MS));
      await rec.done;
      clearTimeout(t);
    }
    rec.ended = true;
    wake(rec);
  }

  /** Evicts a pod: Failed, reason Evicted, its process killed. */
  evict(rec: PodRec): void {
    rec.evicted = true;
    this.#set(rec, {
      phase: "Failed",
      reason: "Evicted",
      message: "The node was low on resource: memory. Threshold quantity: 100Mi, available: " +
        "51200Ki. Container main was using 204800Ki, request is 0, has larger consumption of " +
        "memory.",
      conditions: [{
        type: "DisruptionTarget",
        status: "True",
        reason: "TerminationByKubelet",
        message: "The node was low on resource: memory.",
        lastTransitionTime: now(),
      }],
    });
    if (rec.child && !rec.ended) kill(rec, "SIGKILL");
    else {
      rec.ended = true;
      wake(rec);
      this.#host.ended(rec, false);
    }
  }

  /** Checks a log request: 400 for a container that is not there or never started. */
  openLog(rec: PodRec, opts: LogOptions): void {
    const name = rec.obj.metadata.name;
    const containers = rec.obj.spec.containers.map((c) => c.name);
    const container = opts.container ?? containers[0];
    const fail = (message: string) => {
      throw new ApiFailure(400, "BadRequest", message);
    };
    if (!containers.includes(container)) {
      fail(`container ${container} is not valid for pod ${name}`);
    }
    if (!rec.child) {
      const waiting = rec.obj.status.containerStatuses?.[0]?.state.waiting?.reason;
      const why = waiting === "ImagePullBackOff" || waiting === "ErrImagePull"
        ? "trying and failing to pull image"
        : waiting ?? "ContainerCreating";
      fail(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
    }
  }

  /** The log's bytes from `sinceTime` on; with `follow`, as they are written, to the end. */
  async *streamLog(
    rec: PodRec,
    opts: LogOptions,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
    const since = opts.sinceTime ? Date.parse(opts.sinceTime) : -Infinity;
    const enc = new TextEncoder();
    let i = 0;
    for (;;) {
      for (; i < rec.log.length; i++) {
        const e = rec.log[i];
        if (e.ms < since) continue;
        if (!opts.timestamps || !e.lineStart) yield e.bytes;
        else {
          const stamp = enc.encode(new Date(e.ms).toISOString() + " ");
          const out = new Uint8Array(stamp.length + e.bytes.length);
          out.set(stamp);
          out.set(e.bytes, stamp.length);
          yield out;
        }
      }
      if (!opts.follow || rec.ended || signal.aborted) return;
      await new Promise<void>((resolve) => {
        rec.wake.push(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  /** Kills every container still running and waits until all are reaped. */
  async close(recs: PodRec[]): Promise<void> {
    for (const rec of recs) if (rec.child && !rec.ended) kill(rec, "SIGKILL");
    await Promise.all(recs.map((r) => r.done));
    for (const rec of recs) {
      rec.ended = true;
      wake(rec);
    }
  }
}

function wake(rec: PodRec): void {
  const waiting = rec.wake;
  rec.wake = [];
  for (const w of waiting) w();
}

/** The conditions of a scheduled pod, ready or not. */
function conditions(t: string, ready: boolean, reason?: string): Condition[] {
  const r = ready ? "True" : "False";
  const why = reason ? { reason } : {};
  return [
    { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: t },
    { type: "Initialized", status: "True", lastTransitionTime: t },
    { type: "Ready", status: r, ...why, lastTransitionTime: t },
    { type: "ContainersReady", status: r, ...why, lastTransitionTime: t },
    { type: "PodScheduled", status: "True", lastTransitionTime: t },
  ];
}

/** Signals the pod's process group (its pid: `setsid` made it the group's leader). */
function kill(rec: PodRec, signal: Deno.Signal): void {
  const pid = rec.child!.pid;
  try {
    Deno.kill(-pid, signal);
  } catch {
    // No such group: gone, or `setsid` has not made it yet (a kill right after the
    // spawn), and then the process itself is all there is.
    try {
      Deno.kill(pid, signal);
    } catch {
      // Gone.
    }
  }
}
