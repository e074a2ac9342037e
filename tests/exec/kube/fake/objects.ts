/**
 * The objects of the fake Kubernetes API server (`../fake_api_server.ts`) as they go over the
 * wire, the checks the real API server makes when a Job is created (so a manifest the real
 * one refuses is refused here too), label and field selectors, and `Status` errors (the checks
 * of the real API server are in `validation.ts`). No permissions needed.
 *
 * @module
 */

/** Object metadata as the API server fills it in. */
export interface Meta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller: boolean;
    blockOwnerDeletion: boolean;
  }[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
}

/** A condition of a Job or a Pod. */
export interface Condition {
  type: string;
  status: "True" | "False";
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

/** A container of a pod template (only what the fake reads is typed). */
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVarObj[];
  [field: string]: unknown;
}

/** A key of a Secret (or ConfigMap) that an env entry reads. */
export interface KeyRefObj {
  name: string;
  key: string;
  optional?: boolean;
}

/** An env entry of a container: a value, or one read from elsewhere when it starts. */
export interface EnvVarObj {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: KeyRefObj;
    configMapKeyRef?: KeyRefObj;
    fieldRef?: { fieldPath: string; apiVersion?: string };
    resourceFieldRef?: { resource: string; containerName?: string };
  };
}

/** A pod spec (only what the fake reads is typed). */
export interface PodSpecObj {
  restartPolicy: string;
  containers: Container[];
  nodeSelector?: Record<string, string>;
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
  [field: string]: unknown;
}

/** A container's state: one of the three is set. */
export interface StateObj {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: {
    exitCode: number;
    reason: string;
    message?: string;
    startedAt?: string;
    finishedAt: string;
  };
}

/** A `batch/v1` Job. */
export interface JobObj {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: Meta;
  spec: {
    backoffLimit: number;
    completions: number;
    parallelism: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpecObj };
    [field: string]: unknown;
  };
  status: {
    active?: number;
    ready?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Condition[];
  };
}

/** A Pod. */
export interface PodObj {
  apiVersion: "v1";
  kind: "Pod";
  metadata: Meta;
  spec: PodSpecObj;
  status: {
    phase: "Pending" | "Running" | "Succeeded" | "Failed";
    reason?: string;
    message?: string;
    conditions?: Condition[];
    hostIP?: string;
    podIP?: string;
    startTime?: string;
    containerStatuses?: {
      name: string;
      image: string;
      imageID: string;
      ready: boolean;
      started: boolean;
      restartCount: number;
      state: StateObj;
    }[];
  };
}

/** A core/v1 Secret as stored: `data` base64-encoded, never `stringData`. */
export interface SecretObj {
  apiVersion: "v1";
  kind: "Secret";
  metadata: Meta;
  type: string;
  data?: Record<string, string>;
  immutable?: boolean;
}

/** An API error answer: the server sends it as a `Status` object. */
export class ApiFailure extends Error {
  /** Builds the error of HTTP status `code` with the Status `reason`. */
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

/** The `Status` object of an error answer. */
export function statusOf(f: ApiFailure): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: f.message,
    reason: f.reason,
    ...(f.details ? { details: f.details } : {}),
    code: f.code,
  };
}

/** 404 of an object: `jobs.batch "x" not found`. */
export function notFound(resource: "jobs" | "pods" | "secrets", name: string): ApiFailure {
  const group = resource === "jobs" ? "batch" : "";
  return new ApiFailure(
    404,
    "NotFound",
    `${resource}${group ? `.${group}` : ""} "${name}" not found`,
    { name, group, kind: resource },
  );
}

/** Seconds-precision RFC 3339, as `metav1.Time` is written. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** A label selector (`a=b,c!=d,e,!f`) as a predicate; 400 for one it cannot parse. */
export function labelSelector(
  text: string | null,
): (labels: Record<string, string> | undefined) => boolean {
  const tests: ((l: Record<string, string>) => boolean)[] = [];
  for (const part of (text ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(!?)([A-Za-z0-9][-A-Za-z0-9_./]*)\s*(?:(==|=|!=)\s*([-A-Za-z0-9_.]*))?$/.exec(
      part,
    );
    if (!m || (m[1] && m[3])) {
      throw new ApiFailure(400, "BadRequest", `unable to parse requirement: "${part}"`);
    }
    const [, not, key, op, value] = m;
    if (!op) tests.push(not ? (l) => !(key in l) : (l) => key in l);
    else if (op === "!=") tests.push((l) => l[key] !== value);
    else tests.push((l) => l[key] === value);
  }
  return (labels) => tests.every((t) => t(labels ?? {}));
}

/** An object a list answers. */
export type AnyObj = JobObj | PodObj | SecretObj;

/** A field selector (`metadata.name=x`, `status.phase!=Running`, `type=Opaque`) over an object. */
export function fieldSelector(text: string | null): (obj: AnyObj) => boolean {
  const fields: Record<string, (o: AnyObj) => string | undefined> = {
    "metadata.name": (o) => o.metadata.name,
    "metadata.namespace": (o) => o.metadata.namespace,
    "status.phase": (o) => o.kind === "Pod" ? o.status.phase : undefined,
    "spec.nodeName": (o) => o.kind === "Pod" ? String(o.spec.nodeName ?? "") : undefined,
    "type": (o) => o.kind === "Secret" ? o.type : undefined,
  };
  const tests: ((o: AnyObj) => boolean)[] = [];
  for (const part of (text ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-zA-Z.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    const get = m ? fields[m[1]] : undefined;
    if (!m || !get) {
      throw new ApiFailure(400, "BadRequest", `"${part}" is not a known field selector`);
    }
    const [, , op, value] = m;
    tests.push(op === "!=" ? (o) => get(o) !== value : (o) => get(o) === value);
  }
  return (obj) => tests.every((t) => t(obj));
}

/** Five characters of the alphabet the real name generator uses. */
export function randomSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}
