/**
 * A local Kubernetes API server for tests, good enough for Petit's client and the real
 * `kubectl` (checked with 1.20 and 1.32): HTTPS on 127.0.0.1 with a throw-away CA, server
 * and client certificates made by the `openssl` CLI, a k3s-like kubeconfig, authentication
 * by client certificate or bearer token, discovery, Jobs and Pods (get, list, watch, create,
 * delete), pod logs, Secrets (create, get, list, watch, merge patch, delete) and the Tables of
 * `kubectl get` (`fake/routes.ts`). Behind it, a simulated controller and kubelet run each
 * Job's container as a local process (`fake/controller.ts`), its env read from Secrets when
 * it starts, and a garbage collector deletes the Secrets of deleted Jobs. Faults on demand: error answers (`failNext`), a log stream cut
 * short (`dropNextLogAfter`), an eviction (`evict`). Needs --allow-run (`openssl`,
 * `setsid`), --allow-net, --allow-read, --allow-write (a temp folder) and --allow-env.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { join } from "node:path";
import type { KubeJob, KubePod } from "../../../src/exec/kube/types.ts";
import { FakeController } from "./fake/controller.ts";
import { type AnyObj, ApiFailure, statusOf } from "./fake/objects.ts";
import { route, verbAndResource } from "./fake/routes.ts";

/** Options of {@linkcode startFakeCluster}. */
export interface FakeClusterOptions {
  /** ms between simulated controller steps, default 20 */
  stepMs?: number;
}

/** A Secret as the fake stores it: `data` base64-encoded, never `stringData`. */
export interface FakeSecret {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
  };
  type: string;
  data?: Record<string, string>;
}

/** A running fake cluster. */
export interface FakeCluster {
  /** `https://127.0.0.1:PORT`. */
  readonly url: string;
  /** Temp folder: ca.crt, client.crt, client.key, kubeconfig. */
  readonly dir: string;
  /** A k3s-like kubeconfig: data fields, context "fake", namespace "default". */
  readonly kubeconfigPath: string;
  /** A valid bearer token too. */
  readonly token: string;
  /** PEM of the CA that signed the server and client certificates. */
  readonly caCert: string;
  /** PEM client certificate (CN=admin, O=system:masters). */
  readonly clientCert: string;
  /** PEM key of `clientCert` (SEC1 "EC PRIVATE KEY", as k3s writes it). */
  readonly clientKey: string;
  /** Jobs that exist now (copies). */
  jobs(namespace?: string): KubeJob[];
  /** Pods that exist now (copies). */
  pods(namespace?: string): KubePod[];
  /** Secrets that exist now (copies). */
  secrets(namespace?: string): FakeSecret[];
  /** Every delete call of a Job or a Pod, in order. */
  readonly deletes: {
    kind: "Job" | "Pod";
    namespace: string;
    name: string;
    propagationPolicy: string | null;
  }[];
  /** Every request: `path` is the request target as sent (path and query). */
  readonly requests: { method: string; path: string; status: number }[];
  /** Local processes of running containers. */
  runningPids(): number[];
  /** The next `count` requests whose `${method} ${path}` matches `match` fail with `status`. */
  failNext(count: number, status: 429 | 500 | 401 | 403, match?: RegExp): void;
  /** Cuts the next log stream after N bytes (the connection is destroyed). */
  dropNextLogAfter(bytes: number): void;
  /** Phase Failed, reason Evicted, its process killed. */
  evict(podName: string): void;
  /** Kills container processes, closes the server, removes `dir`. */
  close(): Promise<void>;
}

/** Starts a fake cluster on 127.0.0.1 at a free port. */
export async function startFakeCluster(options: FakeClusterOptions = {}): Promise<FakeCluster> {
  const dir = await Deno.makeTempDir({ prefix: "petit-kube-" });
  const ctl = new FakeController(options.stepMs ?? 20, dir);
  const sockets = new Set<Socket>();
  let server: https.Server | null = null;
  try {
    const { caCert, clientCert, clientKey, serverCert, serverKey } = await (certs ??= makeCerts());
    await Deno.writeTextFile(join(dir, "ca.crt"), caCert);
    await Deno.writeTextFile(join(dir, "client.crt"), clientCert);
    await Deno.writeTextFile(join(dir, "client.key"), clientKey);
    const token = [...crypto.getRandomValues(new Uint8Array(16))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    const faults: { count: number; status: number; match?: RegExp }[] = [];
    const requests: FakeCluster["requests"] = [];
    let dropAfter: number | null = null;
    let port = 0;

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      if (!sockets.has(req.socket)) {
        sockets.add(req.socket);
        req.socket.once("close", () => sockets.delete(req.socket));
      }
      const method = req.method ?? "GET";
      const target = req.url ?? "/";
      const head = (status: number, headers: Record<string, string>) => {
        requests.push({ method, path: target, status });
        res.writeHead(status, headers);
      };
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        head(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      try {
        const url = new URL(target, "https://127.0.0.1");
        // The TLS layer asked for a certificate but let any through: verified ones pass here.
        const verified = (req.socket as Socket & { authorized?: boolean }).authorized === true;
        if (!verified && req.headers.authorization !== `Bearer ${token}`) {
          throw new ApiFailure(401, "Unauthorized", "Unauthorized");
        }
        const fault = faults.find((f) =>
          f.count > 0 && (f.match?.test(`${method} ${target}`) ?? true)
        );
        if (fault) {
          fault.count--;
          throw faultFailure(fault.status, method, url);
        }
        await route(ctl, {
          method,
          url,
          body: await readBody(req),
          accept: req.headers.accept ?? "",
          contentType: req.headers["content-type"] ?? "",
        }, {
          send,
          stream(status, type) {
            head(status, { "Content-Type": type, "Transfer-Encoding": "chunked" });
            return res;
          },
          takeDrop() {
            const n = dropAfter;
            dropAfter = null;
            return n;
          },
          port,
        });
      } catch (err) {
        const f = err instanceof ApiFailure
          ? err
          : new ApiFailure(500, "InternalError", `Internal error occurred: ${err}`);
        if (res.headersSent) res.destroy();
        else send(f.code, statusOf(f), f.code === 429 ? { "Retry-After": "1" } : {});
      }
    };

    const srv = server = https.createServer({
      key: serverKey,
      cert: serverCert,
      ca: caCert,
      requestCert: true,
      rejectUnauthorized: false,
    }, (req, res) => void handle(req, res));
    await new Promise<void>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => resolve());
    });
    port = (srv.address() as { port: number }).port;
    const url = `https://127.0.0.1:${port}`;
    const kubeconfigPath = join(dir, "kubeconfig");
    await Deno.writeTextFile(kubeconfigPath, kubeconfig(url, caCert, clientCert, clientKey));
    const copies = <T>(objs: AnyObj[], ns?: string): T[] =>
      structuredClone(objs.filter((o) => ns === undefined || o.metadata.namespace === ns)) as T[];
    return {
      url,
      dir,
      kubeconfigPath,
      token,
      caCert,
      clientCert,
      clientKey,
      jobs: (ns) => copies<KubeJob>([...ctl.jobs.values()], ns),
      pods: (ns) => copies<KubePod>([...ctl.pods.values()].map((r) => r.obj), ns),
      secrets: (ns) => copies<FakeSecret>([...ctl.secrets.secrets.values()], ns),
      deletes: ctl.deletes,
      requests,
      runningPids: () => ctl.runningPids(),
      failNext: (count, status, match) => void faults.push({ count, status, match }),
      dropNextLogAfter: (bytes) => void (dropAfter = bytes),
      evict: (name) => ctl.evict(name),
      async close() {
        await ctl.close();
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => srv.close(() => resolve()));
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  } catch (err) {
    await ctl.close();
    server?.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}

/** The answer of an injected fault, worded as the real server words it. */
function faultFailure(status: number, method: string, url: URL): ApiFailure {
  if (status === 429) {
    return new ApiFailure(429, "TooManyRequests", "Too many requests, please try again later.", {
      retryAfterSeconds: 1,
    });
  }
  if (status === 401) return new ApiFailure(401, "Unauthorized", "Unauthorized");
  if (status === 403) {
    const r = verbAndResource(method, url);
    const what = `${r.resource.split("/")[0]}${r.group ? `.${r.group}` : ""}${
      r.name ? ` "${r.name}"` : ""
    }`;
    return new ApiFailure(
      403,
      "Forbidden",
      `${what} is forbidden: User "admin" cannot ${r.verb} resource "${r.resource}" in API ` +
        `group "${r.group}" ${
          r.namespace ? `in the namespace "${r.namespace}"` : "at the cluster scope"
        }`,
      { ...(r.name ? { name: r.name } : {}), group: r.group, kind: r.resource.split("/")[0] },
    );
  }
  return new ApiFailure(status, "InternalError", "Internal error occurred: injected failure");
}

/** The JSON body of a request, or null; 400 when it is not JSON. */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiFailure(400, "BadRequest", "the body of the request was in an unknown format");
  }
}

/** Runs `openssl` in `dir`; throws with its stderr when it fails. */
async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

/** The PEM files of a fake cluster. */
interface Certs {
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

/** One set of certificates per process: making them costs ~150 ms of `openssl`. */
let certs: Promise<Certs> | null = null;

/**
 * A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate for
 * admin in system:masters, on P-256 keys as k3s makes them. Both leaves are X.509 v3 with
 * key usages: rustls (Deno's fetch) refuses v1 certificates.
 */
async function makeCerts(): Promise<Certs> {
  const dir = await Deno.makeTempDir({ prefix: "petit-kube-certs-" });
  try {
    await makeCertFiles(dir);
    const read = (f: string) => Deno.readTextFile(join(dir, f));
    return {
      caCert: await read("ca.crt"),
      clientCert: await read("client.crt"),
      clientKey: await read("client.key"),
      serverCert: await read("server.crt"),
      serverKey: await read("server.key"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function makeCertFiles(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  // deno-fmt-ignore
  await openssl(dir, [
    "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
    "-subj", "/CN=k3s-server-ca-fake",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const leaf = async (name: string, subj: string, ext: string) => {
    await Deno.writeTextFile(join(dir, `${name}.ext`), ext);
    await openssl(dir, [
      "req",
      ...ec,
      "-keyout",
      `${name}.p8`,
      "-out",
      `${name}.csr`,
      "-subj",
      subj,
    ]);
    const serial = `0x${crypto.randomUUID().replaceAll("-", "")}`;
    // deno-fmt-ignore
    await openssl(dir, [
      "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key",
      "-set_serial", serial, "-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`,
    ]);
    // SEC1 "EC PRIVATE KEY", the form k3s writes into its kubeconfig.
    await openssl(dir, ["ec", "-in", `${name}.p8`, "-out", `${name}.key`]);
  };
  const usage =
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n";
  await leaf(
    "server",
    "/CN=kube-apiserver",
    `${usage}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n`,
  );
  await leaf("client", "/O=system:masters/CN=admin", `${usage}extendedKeyUsage=clientAuth\n`);
}

/** The kubeconfig k3s would write for this server (certificates inline, base64). */
function kubeconfig(url: string, ca: string, cert: string, key: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${btoa(ca)}`,
    `    server: ${url}`,
    "  name: default",
    "contexts:",
    "- context:",
    "    cluster: default",
    "    namespace: default",
    "    user: default",
    "  name: fake",
    "current-context: fake",
    "preferences: {}",
    "users:",
    "- name: default",
    "  user:",
    `    client-certificate-data: ${btoa(cert)}`,
    `    client-key-data: ${btoa(key)}`,
    "",
  ].join("\n");
}
