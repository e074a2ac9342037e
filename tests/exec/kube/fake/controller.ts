/**
 * The simulated control plane of the fake API server (`../fake_api_server.ts`): the store
 * of Jobs and Pods and the Job controller. A new Job gets a Pod after a step, and another
 * after a failure while `backoffLimit` allows (default 6, as the real API); it fails with
 * `DeadlineExceeded` past `activeDeadlineSeconds`. Deleting a Job with the Background or
 * Foreground policy deletes its pods; with Orphan or none (the batch/v1 default) they keep
 * running, as in a real cluster. Secrets (`secrets.ts`) owned by a deleted Job are
 * collected a step later, or lose their reference to it when it was orphaning. The pods'
 * containers are run by `kubelet.ts`. No permissions needed beyond the kubelet's.
 *
 * @module
 */

import { FakeKubelet, type LogOptions, type PodRec, podRec } from "./kubelet.ts";
import {
  ApiFailure,
  type JobObj,
  type Meta,
  notFound,
  now,
  type PodObj,
  randomSuffix,
} from "./objects.ts";
import { SecretStore } from "./secrets.ts";
import { validateJob } from "./validation.ts";

/** A delete call, as `FakeCluster.deletes` lists it. */
export interface DeleteRecord {
  readonly kind: "Job" | "Pod";
  readonly namespace: string;
  readonly name: string;
  readonly propagationPolicy: string | null;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

/** The store and the simulated controllers. */
export class FakeController {
  /** Jobs by `namespace/name`. */
  readonly jobs: Map<string, JobObj> = new Map();
  /** Pods by `namespace/name`. */
  readonly pods: Map<string, PodRec> = new Map();
  /** Secrets. */
  readonly secrets: SecretStore;
  /** Every delete call, in order. */
  readonly deletes: DeleteRecord[] = [];
  /** ms between simulated steps. */
  readonly stepMs: number;
  readonly #kubelet: FakeKubelet;
  #rv = 100;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  /** `stepMs` between simulated steps; containers run in `workDir`. */
  constructor(stepMs: number, workDir: string) {
    this.stepMs = stepMs;
    this.#kubelet = new FakeKubelet({
      workDir,
      later: (fn, ms) => this.#later(fn, ms),
      touch: (meta) => this.#touch(meta),
      gone: (rec) => this.pods.get(podKey(rec)) !== rec || !!rec.obj.metadata.deletionTimestamp,
      started: (rec) => {
        const job = this.#jobOf(rec);
        if (!job) return;
        job.status.ready = 1;
        this.#touch(job.metadata);
      },
      ended: (rec, ok) => this.#podDone(rec, ok),
      secret: (ns, name) => this.secrets.find(ns, name),
    });
    this.secrets = new SecretStore({
      nextVersion: () => String(++this.#rv),
      later: (fn) => this.#later(fn),
      jobExists: (uid) => [...this.jobs.values()].some((j) => j.metadata.uid === uid),
    });
  }

  /** The current resourceVersion of the store. */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  #touch(meta: Meta): void {
    meta.resourceVersion = String(++this.#rv);
  }

  #later(fn: () => void, ms = this.stepMs): void {
    if (this.#closed) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#closed) fn();
    }, ms);
    this.#timers.add(t);
  }

  #meta(ns: string, name: string, generateName?: string): Meta {
    return {
      name,
      ...(generateName ? { generateName } : {}),
      namespace: ns,
      uid: crypto.randomUUID(),
      resourceVersion: String(++this.#rv),
      creationTimestamp: now(),
    };
  }

  /** POST a Job: checks it as the real API does, stores it, starts its first pod. */
  createJob(ns: string, body: unknown): JobObj {
    const b = (body ?? {}) as Partial<JobObj> & { metadata?: Partial<Meta> };
    if (b.kind !== undefined && b.kind !== "Job") {
      throw new ApiFailure(400, "BadRequest", `kind ${b.kind} does not match Job`);
    }
    if (b.metadata?.namespace !== undefined && b.metadata.namespace !== ns) {
      throw new ApiFailure(
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    const generateName = b.metadata?.generateName;
    const name = b.metadata?.name || (generateName ? generateName + randomSuffix() : "");
    if (!name) {
      throw new ApiFailure(
        422,
        "Invalid",
        'Job.batch "" is invalid: metadata.name: Required value: name or generateName is required',
      );
    }
    validateJob(body, name);
    if (this.jobs.has(key(ns, name))) {
      throw new ApiFailure(409, "AlreadyExists", `jobs.batch "${name}" already exists`, {
        name,
        group: "batch",
        kind: "jobs",
      });
    }
    const meta = this.#meta(ns, name, generateName);
    const spec = b.spec!;
    const labels = {
      ...spec.template.metadata?.labels,
      "batch.kubernetes.io/controller-uid": meta.uid,
      "batch.kubernetes.io/job-name": name,
      "controller-uid": meta.uid,
      "job-name": name,
    };
    const job: JobObj = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { ...b.metadata, ...meta, labels: b.metadata?.labels ?? labels },
      spec: {
        ...spec,
        backoffLimit: spec.backoffLimit ?? 6,
        completions: spec.completions ?? 1,
        parallelism: spec.parallelism ?? 1,
        selector: { matchLabels: { "batch.kubernetes.io/controller-uid": meta.uid } },
        template: {
          ...spec.template,
          metadata: { ...spec.template.metadata, labels },
          spec: { terminationGracePeriodSeconds: 30, ...spec.template.spec },
        },
      },
      status: {},
    };
    this.jobs.set(key(ns, name), job);
    this.#later(() => this.#startPod(job));
    const deadline = job.spec.activeDeadlineSeconds;
    if (typeof deadline === "number") this.#later(() => this.#deadline(job), deadline * 1000);
    return job;
  }

  #live(job: JobObj): boolean {
    return this.jobs.get(key(job.metadata.namespace, job.metadata.name)) === job &&
      !job.metadata.deletionTimestamp && !finished(job);
  }

  #startPod(job: JobObj): void {
    if (!this.#live(job)) return;
    const { namespace: ns, name: jobName, uid } = job.metadata;
    const name = `${jobName}-${randomSuffix()}`;
    const pod: PodObj = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...this.#meta(ns, name, `${jobName}-`),
        labels: { ...job.spec.template.metadata.labels },
        ownerReferences: [{
          apiVersion: "batch/v1",
          kind: "Job",
          name: jobName,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        }],
      },
      spec: structuredClone(job.spec.template.spec),
      status: { phase: "Pending" },
    };
    const rec = podRec(pod, uid);
    this.pods.set(key(ns, name), rec);
    job.status.active = 1;
    job.status.startTime ??= now();
    this.#touch(job.metadata);
    this.#kubelet.admit(rec);
  }

  #jobOf(rec: PodRec): JobObj | null {
    for (const job of this.jobs.values()) if (job.metadata.uid === rec.jobUid) return job;
    return null;
  }

  /** The Job controller's reaction to a pod that ended (or was deleted before it did). */
  #podDone(rec: PodRec, ok: boolean): void {
    if (rec.counted) return;
    rec.counted = true;
    const job = this.#jobOf(rec);
    if (!job || !this.#live(job)) return;
    const s = job.status;
    s.active = undefined;
    s.ready = undefined;
    const t = now();
    if (ok) {
      s.succeeded = (s.succeeded ?? 0) + 1;
      s.completionTime = t;
      s.conditions = [{ type: "Complete", status: "True", lastTransitionTime: t }];
    } else {
      s.failed = (s.failed ?? 0) + 1;
      if (s.failed > job.spec.backoffLimit) {
        s.conditions = [{
          type: "Failed",
          status: "True",
          reason: "BackoffLimitExceeded",
          message: "Job has reached the specified backoff limit",
          lastTransitionTime: t,
        }];
      } else {
        this.#later(() => this.#startPod(job));
      }
    }
    this.#touch(job.metadata);
  }

  #deadline(job: JobObj): void {
    if (!this.#live(job)) return;
    job.status.active = undefined;
    job.status.conditions = [{
      type: "Failed",
      status: "True",
      reason: "DeadlineExceeded",
      message: "Job was active longer than specified deadline",
      lastTransitionTime: now(),
    }];
    this.#touch(job.metadata);
    for (const rec of this.#podsOf(job)) void this.#deletePod(rec, 30);
  }

  #podsOf(job: JobObj): PodRec[] {
    return [...this.pods.values()].filter((r) => r.jobUid === job.metadata.uid);
  }

  /**
   * DELETE a Job: with Background or Foreground its pods go too, else they stay. Returns
   * the Job when it waits for its pods (Foreground), null when it is gone already.
   */
  deleteJob(ns: string, name: string, policy: string | null): JobObj | null {
    const job = this.jobs.get(key(ns, name));
    if (!job) throw notFound("jobs", name);
    this.deletes.push({ kind: "Job", namespace: ns, name, propagationPolicy: policy });
    const pods = this.#podsOf(job);
    if (policy === "Background" || policy === "Foreground") {
      const gone = pods.map((rec) => {
        rec.counted = true;
        return this.#deletePod(rec, rec.obj.spec.terminationGracePeriodSeconds ?? 30);
      });
      if (policy === "Foreground" && pods.length > 0) {
        job.metadata.deletionTimestamp = now();
        job.metadata.finalizers = ["foregroundDeletion"];
        this.#touch(job.metadata);
        void Promise.all(gone).then(() => {
          this.jobs.delete(key(ns, name));
          this.secrets.collectSoon();
        });
        return job;
      }
    } else {
      // Orphaned: the pods lose their owner and run on.
      for (const rec of pods) {
        delete rec.obj.metadata.ownerReferences;
        this.#touch(rec.obj.metadata);
      }
      this.secrets.orphan(job.metadata.uid);
    }
    this.jobs.delete(key(ns, name));
    this.secrets.collectSoon();
    return null;
  }

  /** DELETE a Pod (graceful): SIGTERM to its group, SIGKILL after the grace period. */
  deletePod(ns: string, name: string, grace: number | null, policy: string | null): PodObj {
    const rec = this.pods.get(key(ns, name));
    if (!rec) throw notFound("pods", name);
    this.deletes.push({ kind: "Pod", namespace: ns, name, propagationPolicy: policy });
    void this.#deletePod(rec, grace ?? rec.obj.spec.terminationGracePeriodSeconds ?? 30);
    return rec.obj;
  }

  async #deletePod(rec: PodRec, graceSeconds: number): Promise<void> {
    const m = rec.obj.metadata;
    if (m.deletionTimestamp) return;
    m.deletionTimestamp = now();
    m.deletionGracePeriodSeconds = graceSeconds;
    this.#touch(m);
    await this.#kubelet.stop(rec, graceSeconds);
    this.pods.delete(podKey(rec));
    // A pod of a running Job deleted before it ended counts as failed (job tracking).
    this.#podDone(rec, false);
  }

  /** The kubelet evicts a pod: Failed, reason Evicted, its process killed. */
  evict(name: string): void {
    const rec = [...this.pods.values()].find((r) => r.obj.metadata.name === name);
    if (!rec) throw new Error(`fake cluster: no pod named ${name}`);
    this.#kubelet.evict(rec);
  }

  /** Checks a log request (404, 400) and returns the pod's record. */
  openLog(ns: string, name: string, opts: LogOptions): PodRec {
    const rec = this.pods.get(key(ns, name));
    if (!rec) throw notFound("pods", name);
    this.#kubelet.openLog(rec, opts);
    return rec;
  }

  /** The log's bytes from `sinceTime` on; with `follow`, as they are written, to the end. */
  streamLog(rec: PodRec, opts: LogOptions, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    return this.#kubelet.streamLog(rec, opts, signal);
  }

  /** Pids of the containers that run now. */
  runningPids(): number[] {
    return [...this.pods.values()].filter((r) => r.child && !r.ended).map((r) => r.child!.pid);
  }

  /** Stops the simulation: timers cleared, every process group killed and reaped. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    await this.#kubelet.close([...this.pods.values()]);
  }
}

function podKey(rec: PodRec): string {
  return key(rec.obj.metadata.namespace, rec.obj.metadata.name);
}

function finished(job: JobObj): boolean {
  return (job.status.conditions ?? []).some(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
}
