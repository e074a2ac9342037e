/**
 * {@linkcode KubeClient} over `fetch`: JSON in and out, the cluster's CA and client
 * certificate through `Deno.createHttpClient`, a bearer token when there is one. 429 answers
 * (after their `Retry-After`), 5xx answers, dropped connections and timeouts are retried
 * with backoff; 401 and 403 are not, and say that the credentials were refused or lack a
 * permission. Errors are {@linkcode KubeApiError}s whose message says which call failed and
 * never holds the token. Needs --allow-net (the API server).
 *
 * @module
 */

import { delay } from "../../core/delay.ts";
import { KubeApiError } from "./errors.ts";
import type { ClusterAccess, KubeClient, KubeJob, KubePod, KubeSecret } from "./types.ts";

/**
 * Retries after the first try of a call (so 5 tries in all).
 *
 * @default {4}
 */
export const DEFAULT_RETRIES = 4;

/**
 * First backoff between tries; it doubles after each one (250, 500, 1000, 2000 ms: about
 * 4 s in all, long enough for an API server or k3s restarting).
 *
 * @default {250}
 */
export const DEFAULT_RETRY_BASE_MS = 250;

/**
 * Longest wait between two tries, a server's `Retry-After` included.
 *
 * @default {10000}
 */
export const MAX_RETRY_DELAY_MS = 10_000;

/**
 * How long a call may wait for its answer (for `followLog`, for the answer's headers).
 *
 * @default {30000}
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Options of {@linkcode createKubeClient}. */
export interface KubeClientOptions {
  /** Retries after a call's first try; default {@linkcode DEFAULT_RETRIES}. */
  readonly retries?: number;
  /** First backoff, in ms; default {@linkcode DEFAULT_RETRY_BASE_MS}. */
  readonly retryBaseMs?: number;
  /** The `fetch` to call (tests). */
  readonly fetch?: typeof fetch;
}

/** One API call: what it is (for messages) and how to send it. */
interface Call {
  readonly verb: "create" | "get" | "list" | "delete" | "patch";
  readonly resource: "jobs" | "pods" | "pods/log" | "secrets";
  readonly namespace: string | null;
  readonly name?: string;
  readonly method: "GET" | "POST" | "DELETE" | "PATCH";
  readonly path: string;
  readonly query?: Record<string, string | undefined>;
  readonly body?: unknown;
  /** The body's type when not `application/json` (a merge patch). */
  readonly contentType?: string;
  /** Answered statuses handed to `read` rather than thrown (404 of get and delete). */
  readonly pass?: number;
  readonly signal?: AbortSignal;
  /** Counts the tries (createJob tells a retried create from a name taken by another). */
  readonly tries?: { n: number };
}

/** The `Status` object of an error answer: the fields messages use. */
interface Status {
  readonly message: string;
  readonly reason: string;
}

const seg = encodeURIComponent;

/** Creates a client of the cluster `access` describes; `close()` it when done. */
export function createKubeClient(
  access: ClusterAccess,
  options: KubeClientOptions = {},
): KubeClient {
  const retries = options.retries ?? DEFAULT_RETRIES;
  const baseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const doFetch = options.fetch ?? fetch;
  const tls = {
    caCerts: access.caCert !== null ? [access.caCert] : [],
    ...(access.clientCert !== null && access.clientKey !== null
      ? { cert: access.clientCert, key: access.clientKey }
      : {}),
  };
  const client = access.server.startsWith("https:") ? Deno.createHttpClient(tls) : undefined;
  // kubectl's Accept: JSON for objects, anything for the text/plain of logs.
  const headers: Record<string, string> = {
    Accept: "application/json, */*",
    "User-Agent": "petit",
  };
  if (access.token !== null) headers.Authorization = `Bearer ${access.token}`;

  async function call<T>(c: Call, read: (res: Response) => Promise<T> | T): Promise<T> {
    const what = describe(c);
    const query = Object.entries(c.query ?? {}).filter((e): e is [string, string] =>
      e[1] !== undefined
    );
    const url = `${access.server}${c.path}${query.length ? `?${new URLSearchParams(query)}` : ""}`;
    for (let attempt = 0;; attempt++) {
      if (c.tries) c.tries.n++;
      const tries = attempt + 1;
      const last = attempt >= retries;
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)),
        REQUEST_TIMEOUT_MS,
      );
      let res: Response;
      try {
        res = await doFetch(url, {
          method: c.method,
          headers: c.body === undefined
            ? headers
            : { ...headers, "Content-Type": c.contentType ?? "application/json" },
          body: c.body === undefined ? undefined : JSON.stringify(c.body),
          client,
          signal: c.signal ? AbortSignal.any([c.signal, timeout.signal]) : timeout.signal,
        });
        if (res.ok || res.status === c.pass) return await read(res);
      } catch (err) {
        if (c.signal?.aborted) throw err;
        if (err instanceof SyntaxError) {
          // A 2xx that is not JSON: something other than the API server answered (a proxy).
          throw new KubeApiError(`${what}: the answer is not JSON (${err.message})`, 502);
        }
        const why = timeout.signal.aborted ? String(timeout.signal.reason?.message) : errText(err);
        if (last) {
          throw new KubeApiError(
            `${what}: cannot reach the API server at ${access.server} (${why})${after(tries)}`,
            0,
          );
        }
        await delay(backoff(attempt, baseMs), { signal: c.signal });
        continue;
      } finally {
        clearTimeout(timer);
      }
      const status = await readStatus(res);
      if ((res.status === 429 || res.status >= 500) && !last) {
        const retryAfter = Number(res.headers.get("Retry-After"));
        const ms = retryAfter > 0 ? retryAfter * 1000 : backoff(attempt, baseMs);
        await delay(Math.min(ms, MAX_RETRY_DELAY_MS), { signal: c.signal });
        continue;
      }
      throw errorFor(c, what, res.status, status, tries, access.source);
    }
  }

  const jobsPath = (ns: string | null) =>
    ns === null ? "/apis/batch/v1/jobs" : `/apis/batch/v1/namespaces/${seg(ns)}/jobs`;
  const secretsPath = (ns: string) => `/api/v1/namespaces/${seg(ns)}/secrets`;
  const json = <T>(res: Response): Promise<T> => res.json() as Promise<T>;
  /** For calls whose answer is not read: its body is released. */
  const discard = async (res: Response) => void await res.body?.cancel();

  return {
    access,
    async createJob(namespace, job) {
      const tries = { n: 0 };
      const name = job.metadata.name;
      try {
        return asJob(
          await call({
            verb: "create",
            resource: "jobs",
            namespace,
            method: "POST",
            path: jobsPath(namespace),
            body: job,
            tries,
          }, json<KubeJob>),
        );
      } catch (err) {
        // A create that timed out or failed with 5xx may have been done: its retry then finds
        // the name taken by the very Job it sent.
        if (!(err instanceof KubeApiError) || err.status !== 409 || tries.n < 2 || !name) {
          throw err;
        }
        const existing = await this.getJob(namespace, name);
        if (existing && sameLabels(existing, job)) return existing;
        throw err;
      }
    },
    async getJob(namespace, name) {
      return await call({
        verb: "get",
        resource: "jobs",
        namespace,
        name,
        method: "GET",
        path: `${jobsPath(namespace)}/${seg(name)}`,
        pass: 404,
      }, async (res) => {
        if (res.status === 404) {
          await res.body?.cancel();
          return null;
        }
        return asJob(await json<KubeJob>(res));
      });
    },
    async listJobs(namespace, labelSelector) {
      const list = await call({
        verb: "list",
        resource: "jobs",
        namespace,
        method: "GET",
        path: jobsPath(namespace),
        query: { labelSelector },
      }, json<{ items?: KubeJob[] }>);
      return (list.items ?? []).map(asJob);
    },
    async deleteJob(namespace, name) {
      // Without a propagation policy the API server deletes a batch/v1 Job and leaves its
      // pods running (orphaned): the policy goes in the query and in the body.
      await call({
        verb: "delete",
        resource: "jobs",
        namespace,
        name,
        method: "DELETE",
        path: `${jobsPath(namespace)}/${seg(name)}`,
        query: { propagationPolicy: "Background" },
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" },
        pass: 404,
      }, discard);
    },
    async createSecret(namespace, secret) {
      const tries = { n: 0 };
      try {
        return await call({
          verb: "create",
          resource: "secrets",
          namespace,
          method: "POST",
          path: secretsPath(namespace),
          body: secret,
          tries,
        }, json<KubeSecret>);
      } catch (err) {
        // A retried create finds the name taken by the Secret its first try made: the name
        // ends in a random suffix, so no one else's.
        if (err instanceof KubeApiError && err.status === 409 && tries.n >= 2) return secret;
        throw err;
      }
    },
    async setSecretOwners(namespace, name, owners) {
      await call({
        verb: "patch",
        resource: "secrets",
        namespace,
        name,
        method: "PATCH",
        path: `${secretsPath(namespace)}/${seg(name)}`,
        body: { metadata: { ownerReferences: owners } },
        contentType: "application/merge-patch+json",
      }, discard);
    },
    async deleteSecret(namespace, name) {
      await call({
        verb: "delete",
        resource: "secrets",
        namespace,
        name,
        method: "DELETE",
        path: `${secretsPath(namespace)}/${seg(name)}`,
        pass: 404,
      }, discard);
    },
    async listPods(namespace, labelSelector) {
      const list = await call({
        verb: "list",
        resource: "pods",
        namespace,
        method: "GET",
        path: `/api/v1/namespaces/${seg(namespace)}/pods`,
        query: { labelSelector },
      }, json<{ items?: KubePod[] }>);
      return (list.items ?? []).map((p) => ({ apiVersion: "v1", kind: "Pod", ...p }));
    },
    async followLog(namespace, pod, options) {
      return await call({
        verb: "get",
        resource: "pods/log",
        namespace,
        name: pod,
        method: "GET",
        path: `/api/v1/namespaces/${seg(namespace)}/pods/${seg(pod)}/log`,
        query: { follow: "true", container: options.container, sinceTime: options.sinceTime },
        signal: options.signal,
      }, (res) => res.body ?? new ReadableStream({ start: (ctl) => ctl.close() }));
    },
    close() {
      client?.close();
    },
  };
}

/** `create jobs in namespace "x"`, `get pods/log "p" in namespace "x"`, … */
function describe(c: Call): string {
  const where = c.namespace === null ? "in all namespaces" : `in namespace "${c.namespace}"`;
  return `kubernetes: ${c.verb} ${c.resource}${c.name ? ` "${c.name}"` : ""} ${where}`;
}

function after(tries: number): string {
  return tries > 1 ? ` after ${tries} tries` : "";
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Exponential backoff with jitter, capped. */
function backoff(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** attempt, MAX_RETRY_DELAY_MS) * (0.75 + Math.random() / 4);
}

/** The Status of an error answer; a body that is not one gives its first line. */
async function readStatus(res: Response): Promise<Status> {
  const text = await res.text().catch(() => "");
  try {
    const s = JSON.parse(text) as { message?: unknown; reason?: unknown };
    return {
      message: typeof s.message === "string" ? s.message : res.statusText,
      reason: typeof s.reason === "string" ? s.reason : "",
    };
  } catch {
    return { message: text.split("\n")[0].slice(0, 200) || res.statusText, reason: "" };
  }
}

function errorFor(
  c: Call,
  what: string,
  status: number,
  s: Status,
  tries: number,
  source: string,
): KubeApiError {
  const detail = s.message.replace(/\.$/, "");
  if (status === 401) {
    return new KubeApiError(
      `${what}: the API server refused the credentials of ${source} (401 ${
        s.reason || "Unauthorized"
      }): check the client certificate or token`,
      status,
      s.reason,
    );
  }
  if (status === 403) {
    return new KubeApiError(
      `${what}: the user of ${source} lacks permission to ${c.verb} ${c.resource} (403 ${
        s.reason || "Forbidden"
      }: ${detail}): grant it with a Role and RoleBinding`,
      status,
      s.reason,
    );
  }
  return new KubeApiError(
    `${what}: ${status} ${s.reason || "error"}: ${detail}${after(tries)}`,
    status,
    s.reason,
  );
}

/** List items come without kind and apiVersion. */
function asJob(job: KubeJob): KubeJob {
  return { ...job, apiVersion: "batch/v1", kind: "Job" };
}

function sameLabels(a: KubeJob, b: KubeJob): boolean {
  const la = a.metadata.labels ?? {};
  const lb = b.metadata.labels ?? {};
  return Object.keys(lb).every((k) => la[k] === lb[k]);
}
