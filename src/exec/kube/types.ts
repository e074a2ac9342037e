/**
 * The few Kubernetes API shapes Petit uses to run a task as a `batch/v1` Job, and the
 * client interface over them (`client.ts` implements it over `fetch`). Only the fields
 * Petit reads or writes are typed; everything else passes through untouched. Types only.
 *
 * @module
 */

/** How to reach a cluster, resolved from a kubeconfig or a pod's service account. */
export interface ClusterAccess {
  /** API server URL, e.g. `https://192.168.1.10:6443`. */
  readonly server: string;
  /** PEM of the certificate authority that signed the server's certificate, or null (system roots). */
  readonly caCert: string | null;
  /** PEM client certificate (k3s kubeconfigs), or null. */
  readonly clientCert: string | null;
  /** PEM private key of `clientCert`, or null. */
  readonly clientKey: string | null;
  /** Bearer token (service accounts, token users), or null. */
  readonly token: string | null;
  /** Namespace of tasks that set none: the config's, else the context's, else `default`. */
  readonly namespace: string;
  /** Where this came from, for messages: `kubeconfig /path (context "x")` or `in-cluster`. */
  readonly source: string;
}

/** Object metadata: the fields Petit sets and reads. */
export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  /** Objects this one belongs to: Kubernetes' garbage collector deletes it with them. */
  readonly ownerReferences?: readonly OwnerReference[];
}

/** An owner of an object (`metadata.ownerReferences`). */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** A condition of a Job or a Pod. */
export interface KubeCondition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason?: string;
  readonly message?: string;
}

/** A `batch/v1` Job as Petit creates and watches it. */
export interface KubeJob {
  readonly apiVersion: "batch/v1";
  readonly kind: "Job";
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly backoffLimit?: number;
    readonly ttlSecondsAfterFinished?: number;
    readonly activeDeadlineSeconds?: number;
    readonly selector?: { readonly matchLabels?: Readonly<Record<string, string>> };
    readonly template: {
      readonly metadata?: ObjectMeta;
      readonly spec: PodSpec;
    };
  };
  readonly status?: {
    readonly active?: number;
    readonly succeeded?: number;
    readonly failed?: number;
    readonly startTime?: string;
    readonly completionTime?: string;
    readonly conditions?: readonly KubeCondition[];
  };
}

/** The pod template of a Job: one container, never restarted (Petit owns retries). */
export interface PodSpec {
  readonly restartPolicy: "Never";
  /** Seconds between SIGTERM and SIGKILL when the pod is deleted (Kubernetes' default: 30). */
  readonly terminationGracePeriodSeconds?: number;
  readonly serviceAccountName?: string;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly containers: readonly ContainerSpec[];
}

/** The container of a task. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
}

/**
 * A variable of a container's environment: a value, or (a value named in the job's
 * `secrets:`) a key of the attempt's Secret, so that the value is not in the Job's spec.
 */
export type EnvVar =
  | { readonly name: string; readonly value: string }
  | {
    readonly name: string;
    readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
  };

/** A `v1` Secret: the secret environment values of one attempt. */
export interface KubeSecret {
  readonly apiVersion: "v1";
  readonly kind: "Secret";
  readonly metadata: ObjectMeta;
  readonly type?: string;
  /** Values as text (write only: the server stores them base64-encoded in `data`). */
  readonly stringData?: Readonly<Record<string, string>>;
  readonly data?: Readonly<Record<string, string>>;
}

/** The state of a container, one of three. */
export interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: {
    readonly exitCode: number;
    readonly signal?: number;
    readonly reason?: string;
    readonly message?: string;
    readonly startedAt?: string;
    readonly finishedAt?: string;
  };
}

/** A Pod of a task's Job, as read back. */
export interface KubePod {
  readonly apiVersion?: "v1";
  readonly kind?: "Pod";
  readonly metadata: ObjectMeta;
  readonly spec?: Partial<PodSpec> & { readonly nodeName?: string };
  readonly status?: {
    /** Pending, Running, Succeeded, Failed, Unknown. */
    readonly phase?: string;
    /** E.g. `Evicted`. */
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly KubeCondition[];
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly state?: ContainerState;
      readonly ready?: boolean;
      readonly restartCount?: number;
    }[];
  };
}

/**
 * The calls Petit makes. Every method throws {@linkcode KubeApiError} for an HTTP error
 * status, after retrying 429 and 5xx answers and dropped connections a few times.
 */
export interface KubeClient {
  /** The access it was made from. */
  readonly access: ClusterAccess;
  /** `POST /apis/batch/v1/namespaces/{ns}/jobs`: the created Job. */
  createJob(namespace: string, job: KubeJob): Promise<KubeJob>;
  /** `GET` one Job; null when it does not exist (404). */
  getJob(namespace: string, name: string): Promise<KubeJob | null>;
  /** Jobs matching a label selector, in one namespace or (null) all namespaces. */
  listJobs(namespace: string | null, labelSelector: string): Promise<KubeJob[]>;
  /**
   * `DELETE` a Job with `propagationPolicy: Background`, so its pods go too. A Job that is
   * already gone (404) is not an error.
   */
  deleteJob(namespace: string, name: string): Promise<void>;
  /** `POST /api/v1/namespaces/{ns}/secrets`: the created Secret. */
  createSecret(namespace: string, secret: KubeSecret): Promise<KubeSecret>;
  /**
   * Sets the Secret's `ownerReferences` (a JSON merge patch): Kubernetes deletes it with
   * its owners.
   */
  setSecretOwners(
    namespace: string,
    name: string,
    owners: readonly OwnerReference[],
  ): Promise<void>;
  /** `DELETE` a Secret. One that is already gone (404) is not an error. */
  deleteSecret(namespace: string, name: string): Promise<void>;
  /** Pods matching a label selector in a namespace. */
  listPods(namespace: string, labelSelector: string): Promise<KubePod[]>;
  /**
   * `GET …/pods/{name}/log?follow=true`: the container's output as it is written, ending when
   * the container ends. A dropped connection, or aborting `signal`, errors the stream (the
   * caller may resume with `sinceTime`).
   */
  followLog(
    namespace: string,
    pod: string,
    options: { readonly container?: string; readonly sinceTime?: string; signal?: AbortSignal },
  ): Promise<ReadableStream<Uint8Array>>;
  /** Releases the HTTP client (TLS settings). */
  close(): void;
}

/** An error answer of the API server (or a connection that failed every retry). */
export interface KubeApiErrorInfo {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  /** The Status object's `reason` (e.g. `Forbidden`, `NotFound`), or "". */
  readonly reason: string;
  /** Worth retrying the task: 0 (unreachable), 429 and 5xx. */
  readonly transient: boolean;
}

/** The `[kubernetes]` table of the config file; null fields take their defaults. */
export interface KubernetesSettings {
  /** Kubeconfig file; null: `$KUBECONFIG`, else `~/.kube/config`, else in-cluster credentials. */
  readonly kubeconfig: string | null;
  /** Context to use; null: the kubeconfig's `current-context`. */
  readonly context: string | null;
  /** Namespace of tasks that set none; null: the context's, else `default`. */
  readonly namespace: string | null;
}
