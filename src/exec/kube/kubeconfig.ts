/**
 * Resolves how to reach a cluster ({@linkcode ClusterAccess}) from the `[kubernetes]`
 * settings: a kubeconfig file (the one k3s writes, `/etc/rancher/k3s/k3s.yaml`, has the
 * certificates inline) or, inside a pod, its service account. Only static credentials are
 * supported (client certificates and tokens): exec plugins, auth providers and
 * `insecure-skip-tls-verify` are refused with a message that says what to use instead.
 * Of a `$KUBECONFIG` list, the first file that exists is used (kubectl merges them).
 * Messages name the file and what is wrong, and never hold key or token material.
 * Needs --allow-read and --allow-env. The npm `yaml` module is loaded on first use, so
 * Petit loads it only when a Kubernetes task runs.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import type { ClusterAccess, KubernetesSettings } from "./types.ts";

/**
 * Where a pod finds its service account's token, CA and namespace.
 *
 * @default {"/var/run/secrets/kubernetes.io/serviceaccount"}
 */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Namespace when neither the settings nor the context name one.
 *
 * @default {"default"}
 */
export const DEFAULT_NAMESPACE = "default";

/** A kubeconfig (or service account) that cannot be used; the message names the file. */
export class KubeConfigError extends Error {
  /** The file at fault, or null when no file was found at all. */
  readonly path: string | null;

  /** Builds the error; `message` names the file and says what to do. */
  constructor(message: string, path: string | null, options?: ErrorOptions) {
    super(message, options);
    this.name = "KubeConfigError";
    this.path = path;
  }
}

/** Test seams of {@linkcode resolveClusterAccess}. */
export interface ResolveOptions {
  /**
   * The service account folder of in-cluster access.
   *
   * @default {SERVICE_ACCOUNT_DIR}
   */
  readonly serviceAccountDir?: string;
}

type Env = (k: string) => string | undefined;
type Doc = Record<string, unknown>;

/**
 * Resolves the cluster to use: `settings.kubeconfig`, else the first existing file of
 * `$KUBECONFIG`, else `~/.kube/config`, else the pod's service account when running in a
 * cluster. Throws {@linkcode KubeConfigError} when none can be used.
 */
export async function resolveClusterAccess(
  settings: KubernetesSettings,
  env: (k: string) => string | undefined = (k) => Deno.env.get(k),
  options: ResolveOptions = {},
): Promise<ClusterAccess> {
  const home = env("HOME");
  const expand = (p: string) => resolve(home && p.startsWith("~/") ? join(home, p.slice(2)) : p);
  if (settings.kubeconfig !== null) {
    const path = expand(settings.kubeconfig);
    const text = await readText(path, "kubeconfig");
    if (text === null) {
      throw new KubeConfigError(
        `kubeconfig ${path} not found (set kubernetes.kubeconfig to an existing file)`,
        path,
      );
    }
    return await fromKubeconfig(path, text, settings);
  }
  const looked: string[] = [];
  const candidates = (env("KUBECONFIG") ?? "").split(":").filter((p) => p !== "").map(expand);
  if (home) candidates.push(join(home, ".kube", "config"));
  for (const path of candidates) {
    const text = await readText(path, "kubeconfig");
    if (text !== null) return await fromKubeconfig(path, text, settings);
    looked.push(path);
  }
  const inCluster = await fromServiceAccount(
    options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR,
    env,
    settings,
  );
  if (inCluster) return inCluster;
  throw new KubeConfigError(
    `no kubeconfig found (looked at ${looked.join(", ") || "nothing: HOME is not set"}) ` +
      "and not running in a cluster: set kubernetes.kubeconfig in the config file " +
      "(k3s writes /etc/rancher/k3s/k3s.yaml) or $KUBECONFIG",
    null,
  );
}

/** A file's text, or null when it does not exist. */
async function readText(path: string, what: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new KubeConfigError(`cannot read ${what} ${path}: ${(err as Error).message}`, path, {
      cause: err,
    });
  }
}

/** In-cluster access from the service account folder, or null when not in a pod. */
async function fromServiceAccount(
  dir: string,
  env: Env,
  settings: KubernetesSettings,
): Promise<ClusterAccess | null> {
  const host = env("KUBERNETES_SERVICE_HOST");
  const port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) return null;
  const token = await readText(join(dir, "token"), "service account token");
  if (token === null) return null;
  const ca = await readText(join(dir, "ca.crt"), "service account CA");
  const namespace = (await readText(join(dir, "namespace"), "service account namespace"))?.trim();
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    caCert: ca,
    clientCert: null,
    clientKey: null,
    token: token.trim(),
    namespace: settings.namespace ?? (namespace || DEFAULT_NAMESPACE),
    source: "in-cluster",
  };
}

/** The access a kubeconfig's chosen context describes. */
async function fromKubeconfig(
  path: string,
  text: string,
  settings: KubernetesSettings,
): Promise<ClusterAccess> {
  const fail = (problem: string): never => {
    throw new KubeConfigError(`kubeconfig ${path}: ${problem}`, path);
  };
  const { parse } = await import("yaml");
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (err) {
    // The first line says where; the lines after it quote the file, which may hold keys.
    const where = (err as Error).message.split("\n")[0].replace(/:$/, "");
    fail(`not valid YAML (${where})`);
  }
  const doc = record(parsed) ?? fail("not a kubeconfig (expected a mapping)");
  const contexts = entries(doc, "contexts", "context", fail);
  const known = [...contexts.keys()].map((n) => `"${n}"`).join(", ") || "none";
  const name = settings.context ?? field(doc, "current-context", "kubeconfig", fail);
  if (name === null || name === "") {
    return fail(`no current-context, and kubernetes.context is not set (contexts: ${known})`);
  }
  const context = contexts.get(name) ??
    fail(`no context named "${name}" (known contexts: ${known})`);
  const clusterName = field(context, "cluster", `context "${name}"`, fail) ??
    fail(`context "${name}" names no cluster`);
  const cluster = entries(doc, "clusters", "cluster", fail).get(clusterName) ??
    fail(`context "${name}" names cluster "${clusterName}", which is not in clusters`);
  const userName = field(context, "user", `context "${name}"`, fail);
  const user = userName === null ? {} : entries(doc, "users", "user", fail).get(userName) ??
    fail(`context "${name}" names user "${userName}", which is not in users`);
  const dir = dirname(path);
  const fileOrData = async (
    obj: Doc,
    owner: string,
    fileKey: string,
    what: "certificate" | "key",
  ): Promise<string | null> => {
    const data = field(obj, `${fileKey}-data`, owner, fail);
    if (data !== null) return pem(data, `${fileKey}-data of ${owner}`, what, fail);
    const file = field(obj, fileKey, owner, fail);
    if (file === null) return null;
    const full = resolve(dir, file);
    return await readText(full, `${fileKey} of ${owner}`) ??
      fail(`${fileKey} of ${owner}: file ${full} not found`);
  };

  const clusterWhere = `cluster "${clusterName}"`;
  const server = field(cluster, "server", clusterWhere, fail) ??
    fail(`${clusterWhere} has no server`);
  if (cluster["insecure-skip-tls-verify"] === true) {
    fail(
      `${clusterWhere} sets insecure-skip-tls-verify, which Petit does not support: ` +
        "give the server's CA as certificate-authority-data or certificate-authority",
    );
  }
  const caCert = await fileOrData(cluster, clusterWhere, "certificate-authority", "certificate");

  const userWhere = `user "${userName}"`;
  const exec = record(user.exec);
  if (exec) {
    const command = typeof exec.command === "string" ? ` (${exec.command.split("/").pop()})` : "";
    fail(
      `${userWhere} gets its credentials from an exec plugin${command}, which Petit does not ` +
        "run: use a client certificate (client-certificate-data and client-key-data) or a " +
        "token (token or tokenFile), e.g. a service account's token",
    );
  }
  if (user["auth-provider"] !== undefined) {
    fail(
      `${userWhere} uses an auth-provider, which Petit does not support: use a client ` +
        "certificate (client-certificate-data and client-key-data) or a token (token or tokenFile)",
    );
  }
  if (user.username !== undefined || user.password !== undefined) {
    fail(`${userWhere} uses basic authentication, which Kubernetes removed: use a token`);
  }
  const clientCert = await fileOrData(user, userWhere, "client-certificate", "certificate");
  const clientKey = await fileOrData(user, userWhere, "client-key", "key");
  if ((clientCert === null) !== (clientKey === null)) {
    fail(
      `${userWhere} has a client ${
        clientCert ? "certificate but no key" : "key but no certificate"
      }`,
    );
  }
  let token = field(user, "token", userWhere, fail);
  const tokenFile = field(user, "tokenFile", userWhere, fail);
  if (token === null && tokenFile !== null) {
    const full = resolve(dir, tokenFile);
    token = await readText(full, `tokenFile of ${userWhere}`) ??
      fail(`tokenFile of ${userWhere}: file ${full} not found`);
  }
  return {
    server: server.replace(/\/+$/, ""),
    caCert,
    clientCert,
    clientKey,
    token: token?.trim() || null,
    namespace: settings.namespace ??
      (field(context, "namespace", `context "${name}"`, fail) || DEFAULT_NAMESPACE),
    source: `kubeconfig ${path} (context "${name}")`,
  };
}

function record(v: unknown): Doc | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Doc : null;
}

/** A string field, null when absent; anything else is an error (its value is not shown). */
function field(obj: Doc, key: string, where: string, fail: (p: string) => never): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  return typeof v === "string" ? v : fail(`${key} of ${where} is not a string`);
}

/** The `{name, <inner>: {...}}` entries of a list (`clusters`, `users`, `contexts`) by name. */
function entries(
  doc: Doc,
  list: string,
  inner: string,
  fail: (p: string) => never,
): Map<string, Doc> {
  const out = new Map<string, Doc>();
  const items = doc[list] ?? [];
  if (!Array.isArray(items)) fail(`${list} is not a list`);
  for (const item of items as unknown[]) {
    const entry = record(item);
    if (!entry || typeof entry.name !== "string") fail(`an entry of ${list} has no name`);
    out.set(entry!.name as string, record(entry![inner]) ?? {});
  }
  return out;
}

/** Decodes a `*-data` field: base64 of a PEM certificate or key. */
function pem(data: string, where: string, what: "certificate" | "key", fail: (p: string) => never) {
  let text = "";
  try {
    text = new TextDecoder().decode(
      Uint8Array.from(atob(data.replace(/\s+/g, "")), (c) => c.charCodeAt(0)),
    );
  } catch {
    fail(`${where} is not valid base64`);
  }
  const marker = what === "key"
    ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/
    : /-----BEGIN CERTIFICATE-----/;
  return marker.test(text) ? text : fail(`${where} is not base64 of a PEM ${what}`);
}
