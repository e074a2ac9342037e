/**
 * The objects of the fake Kubernetes API server (`../fake_api_server.ts`) as they go over the
 * wire, the checks the real API server makes when a Job is created (so a manifest the real
 * one refuses is refused here too), label and field selectors, and `Status` errors. No
 * permissions needed.
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
  env?: { name: string; value?: string }[];
  [field: string]: unknown;
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
export function notFound(resource: "jobs" | "pods", name: string): ApiFailure {
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

const LABEL = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const LABEL_HINT = "a valid label must be an empty string or consist of alphanumeric " +
  "characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS_HINT = "a lowercase RFC 1123 label must consist of lower case alphanumeric " +
  "characters or '-', and must start and end with an alphanumeric character";

function labelErrors(labels: unknown, field: string): string[] {
  if (labels === undefined) return [];
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    return [`${field}: Invalid value: must be a map of strings`];
  }
  const out: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf("/");
    const prefix = slash < 0 ? "" : key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (
      name === "" || name.length > 63 || !LABEL.test(name) ||
      (slash >= 0 && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    ) {
      out.push(
        `${field}: Invalid value: "${key}": name part must consist of alphanumeric ` +
          "characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      );
    }
    if (typeof value !== "string" || value.length > 63 || !LABEL.test(value)) {
      const why = typeof value === "string" && value.length > 63
        ? "must be no more than 63 characters"
        : LABEL_HINT;
      out.push(`${field}: Invalid value: ${JSON.stringify(value)}: ${why}`);
    }
  }
  return out;
}

/**
 * What the real API server would refuse in a Job: a 422 `Job.batch "x" is invalid: …`
 * listing the fields, as it does.
 */
export function validateJob(body: unknown, name: string): void {
  const job = body as {
    metadata?: { labels?: unknown };
    spec?: { template?: { metadata?: { labels?: unknown }; spec?: Partial<PodSpecObj> } };
  };
  const errors: string[] = [];
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    errors.push(
      `metadata.name: Invalid value: "${name}": ${DNS_HINT}` +
        (name.length > 63 ? " (must be no more than 63 characters)" : ""),
    );
  }
  errors.push(...labelErrors(job.metadata?.labels, "metadata.labels"));
  const template = job.spec?.template;
  errors.push(...labelErrors(template?.metadata?.labels, "spec.template.metadata.labels"));
  const pod = template?.spec;
  const containers = pod?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push("spec.template.spec.containers: Required value");
  } else {
    containers.forEach((c: Partial<Container>, i) => {
      const at = `spec.template.spec.containers[${i}]`;
      if (typeof c.name !== "string" || c.name === "") errors.push(`${at}.name: Required value`);
      else if (c.name.length > 63 || !DNS_LABEL.test(c.name)) {
        errors.push(`${at}.name: Invalid value: "${c.name}": ${DNS_HINT}`);
      }
      if (typeof c.image !== "string" || c.image === "") {
        errors.push(`${at}.image: Required value`);
      }
      for (const [k, v] of [["command", c.command], ["args", c.args]] as const) {
        if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== "string"))) {
          errors.push(`${at}.${k}: Invalid value: must be a list of strings`);
        }
      }
      (c.env ?? []).forEach((e, j) => {
        if (typeof e.name !== "string" || !ENV_NAME.test(e.name)) {
          errors.push(
            `${at}.env[${j}].name: Invalid value: ${JSON.stringify(e.name)}: a valid ` +
              "environment variable name must consist of alphabetic characters, digits, '_', " +
              "'-', or '.', and must not start with a digit",
          );
        }
        if (e.value !== undefined && typeof e.value !== "string") {
          errors.push(`${at}.env[${j}].value: Invalid value: must be a string`);
        }
      });
    });
  }
  // The API defaults a missing restartPolicy to Always, which a Job may not have.
  const policy = pod?.restartPolicy ?? "Always";
  if (policy !== "Never" && policy !== "OnFailure") {
    errors.push(
      `spec.template.spec.restartPolicy: Unsupported value: "${policy}": ` +
        `supported values: "OnFailure", "Never"`,
    );
  }
  if (errors.length > 0) {
    throw new ApiFailure(
      422,
      "Invalid",
      `Job.batch "${name}" is invalid: ${
        errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`
      }`,
      { name, group: "batch", kind: "Job", causes: errors.map((message) => ({ message })) },
    );
  }
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

/** A field selector (`metadata.name=x`, `status.phase!=Running`) over an object. */
export function fieldSelector(text: string | null): (obj: JobObj | PodObj) => boolean {
  const fields: Record<string, (o: JobObj | PodObj) => string | undefined> = {
    "metadata.name": (o) => o.metadata.name,
    "metadata.namespace": (o) => o.metadata.namespace,
    "status.phase": (o) => "phase" in o.status ? o.status.phase : undefined,
    "spec.nodeName": (o) => "nodeName" in o.spec ? String(o.spec.nodeName ?? "") : undefined,
  };
  const tests: ((o: JobObj | PodObj) => boolean)[] = [];
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
