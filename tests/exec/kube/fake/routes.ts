/**
 * The REST surface of the fake API server (`../fake_api_server.ts`) over its controller:
 * discovery as kubectl reads it, Jobs and Pods (get, list, watch, create, delete), pod logs,
 * Secrets (create, get, list, watch, merge patch, delete), and the Tables `kubectl get` asks
 * for (`tables.ts`). Answers are the real server's JSON: lists with `metadata.resourceVersion`
 * and items without kind and apiVersion, `Status` objects for errors and for a deleted Job or
 * Secret. No permissions needed.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import type { FakeController } from "./controller.ts";
import type { LogOptions } from "./kubelet.ts";
import { type AnyObj, ApiFailure, fieldSelector, labelSelector, notFound } from "./objects.ts";
import { tableOf } from "./tables.ts";

/** The version the fake reports: a recent k3s. */
const VERSION = {
  major: "1",
  minor: "31",
  gitVersion: "v1.31.4+k3s1",
  gitCommit: "a562d090b0d3a7d0c0a3f2aa5ef4ed4f3fb4d0f3",
  gitTreeState: "clean",
  buildDate: "2024-12-12T00:00:00Z",
  goVersion: "go1.22.9",
  compiler: "gc",
  platform: "linux/amd64",
};

const JOB_PATH = /^\/apis\/batch\/v1\/(?:namespaces\/([^/]+)\/)?jobs(?:\/([^/]+)(\/status)?)?$/;
const POD_PATH = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods(?:\/([^/]+)(\/log)?)?$/;
const SECRET_PATH = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?secrets(?:\/([^/]+))?()$/;

/** How a route answers. */
export interface Reply {
  /** A JSON answer. */
  send(status: number, body: unknown): void;
  /** Starts a streamed answer (chunked). */
  stream(status: number, contentType: string): ServerResponse;
  /** The pending `dropNextLogAfter`, consumed. */
  takeDrop(): number | null;
  /** The server's port (for `/api`). */
  readonly port: number;
}

/** A request as the routes see it. */
export interface ApiRequest {
  readonly method: string;
  readonly url: URL;
  readonly body: Record<string, unknown> | null;
  readonly accept: string;
  /** The `Content-Type` header ("" without one): a PATCH says its patch type in it. */
  readonly contentType: string;
}

/** The verb and resource of a request, for a 403 message like the real server's. */
export function verbAndResource(
  method: string,
  url: URL,
): {
  verb: string;
  resource: string;
  group: string;
  namespace: string | null;
  name: string | null;
} {
  const m = JOB_PATH.exec(url.pathname) ?? POD_PATH.exec(url.pathname) ??
    SECRET_PATH.exec(url.pathname);
  const job = url.pathname.startsWith("/apis/batch/");
  const secret = SECRET_PATH.test(url.pathname);
  const name = m?.[2] ?? null;
  const verb = method === "POST"
    ? "create"
    : method === "DELETE"
    ? "delete"
    : method === "PATCH"
    ? "patch"
    : url.searchParams.get("watch")
    ? "watch"
    : name === null
    ? "list"
    : "get";
  const resource = `${job ? "jobs" : secret ? "secrets" : "pods"}${m?.[3] ?? ""}`;
  return { verb, resource, group: job ? "batch" : "", namespace: m?.[1] ?? null, name };
}

/** Answers one request (throws {@linkcode ApiFailure} for error answers). */
export async function route(ctl: FakeController, req: ApiRequest, reply: Reply): Promise<void> {
  const { method, url, body } = req;
  const q = url.searchParams;
  const path = url.pathname.replace(/(.)\/$/, "$1");
  const discovery = method === "GET" ? discoveryDoc(path, reply.port) : null;
  if (discovery) return reply.send(200, discovery);
  const sm = SECRET_PATH.exec(path);
  if (sm) return secretRoute(ctl, req, reply, sm[1] && decodeURIComponent(sm[1]), sm[2]);
  const jm = JOB_PATH.exec(path);
  const m = jm ?? POD_PATH.exec(path);
  if (!m) throw new ApiFailure(404, "NotFound", "the server could not find the requested resource");
  const [ns, name, sub] = [m[1], m[2], m[3]].map((s) => s && decodeURIComponent(s));
  const isJob = jm !== null;
  const objects = (): AnyObj[] =>
    isJob ? [...ctl.jobs.values()] : [...ctl.pods.values()].map((r) => r.obj);
  const table = req.accept.includes("as=Table");
  const resource = isJob ? "jobs" : "pods";

  if (!name && method === "GET") return list(ctl, resource, ns, objects, req, reply);
  if (!name && method === "POST" && isJob && ns) return reply.send(201, ctl.createJob(ns, body));
  if (name && ns && method === "GET" && sub === "/log") {
    const opts: LogOptions = {
      follow: q.get("follow") === "true" || q.get("follow") === "1",
      container: q.get("container"),
      sinceTime: q.get("sinceTime"),
      timestamps: q.get("timestamps") === "true",
    };
    return await streamLog(ctl, ctl.openLog(ns, name, opts), opts, reply);
  }
  if (name && ns && method === "GET") {
    const o = objects().find((o) => o.metadata.namespace === ns && o.metadata.name === name);
    if (!o) throw notFound(resource, name);
    return reply.send(200, table ? tableOf(resource, [o], ctl.resourceVersion) : o);
  }
  if (name && ns && method === "DELETE" && !sub) {
    const policy = q.get("propagationPolicy") ??
      (typeof body?.propagationPolicy === "string" ? body.propagationPolicy : null) ??
      (body?.orphanDependents === true ? "Orphan" : null);
    if (!isJob) {
      const grace = q.get("gracePeriodSeconds") ?? body?.gracePeriodSeconds;
      return reply.send(200, ctl.deletePod(ns, name, grace == null ? null : Number(grace), policy));
    }
    const uid = ctl.jobs.get(`${ns}/${name}`)?.metadata.uid;
    const left = ctl.deleteJob(ns, name, policy);
    // A Job deleted at once is answered with a Status; one that waits (Foreground) with itself.
    return reply.send(
      200,
      left ?? {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { name, group: "batch", kind: "jobs", uid },
      },
    );
  }
  throw new ApiFailure(
    405,
    "MethodNotAllowed",
    "the server does not allow this method on the requested resource",
  );
}

/** A list (JSON or Table) or a watch of the objects of `resource` in `ns` (or all). */
function list(
  ctl: FakeController,
  resource: "jobs" | "pods" | "secrets",
  ns: string | undefined,
  objects: () => AnyObj[],
  req: ApiRequest,
  reply: Reply,
): void {
  const q = req.url.searchParams;
  const labels = labelSelector(q.get("labelSelector"));
  const fields = fieldSelector(q.get("fieldSelector"));
  const match = (o: AnyObj) =>
    (!ns || o.metadata.namespace === ns) && labels(o.metadata.labels) && fields(o);
  if (q.get("watch") === "true" || q.get("watch") === "1") {
    return watch(ctl, objects, match, q, reply.stream(200, "application/json"));
  }
  const items = objects().filter(match);
  if (req.accept.includes("as=Table")) {
    return reply.send(200, tableOf(resource, items, ctl.resourceVersion));
  }
  const kinds = { jobs: "JobList", pods: "PodList", secrets: "SecretList" };
  return reply.send(200, {
    kind: kinds[resource],
    apiVersion: resource === "jobs" ? "batch/v1" : "v1",
    metadata: { resourceVersion: ctl.resourceVersion },
    items: items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
  });
}

/** The Secrets' calls: create, get, list, watch, merge patch, delete. */
function secretRoute(
  ctl: FakeController,
  req: ApiRequest,
  reply: Reply,
  ns: string | undefined,
  rawName: string | undefined,
): void {
  const { method, body } = req;
  const name = rawName && decodeURIComponent(rawName);
  const store = ctl.secrets;
  if (!name && method === "GET") {
    // In key order, as etcd lists them.
    const objects = () =>
      [...store.secrets.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([, s]) => s);
    return list(ctl, "secrets", ns, objects, req, reply);
  }
  if (!name && ns && method === "POST") return reply.send(201, store.create(ns, body));
  if (name && ns && method === "GET") {
    const s = store.get(ns, name);
    const table = req.accept.includes("as=Table");
    return reply.send(200, table ? tableOf("secrets", [s], ctl.resourceVersion) : s);
  }
  if (name && ns && method === "PATCH") {
    return reply.send(200, store.patch(ns, name, req.contentType, body));
  }
  if (name && ns && method === "DELETE") {
    // The registry of Secrets does not return the deleted object (pods' does): a Status.
    const { uid } = store.delete(ns, name).metadata;
    return reply.send(200, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name, kind: "secrets", uid },
    });
  }
  throw new ApiFailure(
    405,
    "MethodNotAllowed",
    "the server does not allow this method on the requested resource",
  );
}

/** The discovery documents kubectl reads before anything else. */
function discoveryDoc(path: string, port: number): unknown {
  const verbs = ["create", "delete", "get", "list", "watch"];
  switch (path) {
    case "/version":
      return VERSION;
    case "/api":
      return {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{
          clientCIDR: "0.0.0.0/0",
          serverAddress: `127.0.0.1:${port}`,
        }],
      };
    case "/apis": {
      const v = { groupVersion: "batch/v1", version: "v1" };
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [{ name: "batch", versions: [v], preferredVersion: v }],
      };
    }
    case "/api/v1":
      return {
        kind: "APIResourceList",
        groupVersion: "v1",
        resources: [
          {
            name: "pods",
            singularName: "pod",
            namespaced: true,
            kind: "Pod",
            verbs,
            shortNames: ["po"],
            categories: ["all"],
          },
          { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
          {
            name: "secrets",
            singularName: "secret",
            namespaced: true,
            kind: "Secret",
            verbs: ["create", "delete", "get", "list", "patch", "watch"],
          },
        ],
      };
    case "/apis/batch/v1":
      return {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: "batch/v1",
        resources: [
          {
            name: "jobs",
            singularName: "job",
            namespaced: true,
            kind: "Job",
            verbs,
            categories: ["all"],
          },
          { name: "jobs/status", singularName: "", namespaced: true, kind: "Job", verbs: ["get"] },
        ],
      };
    default:
      return null;
  }
}

/** Streams a pod's log; with a pending drop, the connection is destroyed after N bytes. */
async function streamLog(
  ctl: FakeController,
  rec: ReturnType<FakeController["openLog"]>,
  opts: LogOptions,
  reply: Reply,
): Promise<void> {
  const drop = reply.takeDrop();
  const res = reply.stream(200, "text/plain");
  const gone = new AbortController();
  res.once("close", () => gone.abort());
  let sent = 0;
  for await (const chunk of ctl.streamLog(rec, opts, gone.signal)) {
    if (gone.signal.aborted) return;
    if (drop !== null && sent + chunk.length >= drop) {
      res.write(chunk.subarray(0, drop - sent), () => res.socket?.destroy());
      return;
    }
    res.write(chunk);
    sent += chunk.length;
  }
  res.end();
}

/**
 * A watch: ADDED, MODIFIED and DELETED events found by comparing snapshots every step, from
 * the given resourceVersion (objects that exist then are not announced) or, without one,
 * from ADDED events for all that exist.
 */
function watch(
  ctl: FakeController,
  objects: () => AnyObj[],
  match: (o: AnyObj) => boolean,
  q: URLSearchParams,
  res: ServerResponse,
): void {
  const seen = new Map<string, AnyObj>();
  const rv = q.get("resourceVersion");
  if (rv && rv !== "0") { for (const o of objects().filter(match)) seen.set(o.metadata.uid, o); }
  const send = (type: string, o: AnyObj) =>
    res.write(JSON.stringify({ type, object: structuredClone(o) }) + "\n");
  const seenRv = new Map([...seen].map(([uid, o]) => [uid, o.metadata.resourceVersion]));
  const tick = () => {
    const now = new Map(objects().filter(match).map((o) => [o.metadata.uid, o]));
    for (const [uid, o] of now) {
      const before = seenRv.get(uid);
      if (before !== o.metadata.resourceVersion) send(before ? "MODIFIED" : "ADDED", o);
      seenRv.set(uid, o.metadata.resourceVersion);
      seen.set(uid, o);
    }
    for (const [uid, o] of seen) {
      if (now.has(uid)) continue;
      send("DELETED", o);
      seen.delete(uid);
      seenRv.delete(uid);
    }
  };
  tick();
  const timer = setInterval(tick, ctl.stepMs);
  const seconds = Number(q.get("timeoutSeconds") ?? 0);
  const end = seconds > 0 ? setTimeout(() => res.end(), seconds * 1000) : undefined;
  res.once("close", () => {
    clearInterval(timer);
    clearTimeout(end);
  });
}
