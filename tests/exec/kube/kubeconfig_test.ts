/**
 * `resolveClusterAccess` over kubeconfig files written to a temp folder: k3s-style data
 * fields, file fields relative to the kubeconfig's folder, the choice of context, the
 * `$KUBECONFIG` list and `~/.kube/config`, in-cluster access from an injected service
 * account folder, namespace precedence, and the refusals (exec and auth-provider users,
 * insecure-skip-tls-verify, a missing context), whose messages name the file and hold no
 * key or token.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { KubeConfigError, resolveClusterAccess } from "../../../src/exec/kube/kubeconfig.ts";
import type { KubernetesSettings } from "../../../src/exec/kube/types.ts";

const CA = "-----BEGIN CERTIFICATE-----\nQ0EtY2VydA==\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN EC PRIVATE KEY-----\nS0VZLXNlY3JldA==\n-----END EC PRIVATE KEY-----\n";
const TOKEN = "s3cr3t-t0ken-value";

const none: KubernetesSettings = { kubeconfig: null, context: null, namespace: null };
const noEnv = () => undefined;

/** A kubeconfig with one cluster and the given users and contexts. */
function kubeconfig(opts: {
  current?: string;
  cluster?: string;
  users?: string;
  contexts?: string;
}): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
${opts.cluster ?? `    server: https://127.0.0.1:6443\n    certificate-authority-data: ${btoa(CA)}`}
contexts:
${
    opts.contexts ?? `- name: default
  context:
    cluster: default
    user: default`
  }
${opts.current === undefined ? "current-context: default" : opts.current}
users:
${
    opts.users ?? `- name: default
  user:
    client-certificate-data: ${btoa(CERT)}
    client-key-data: ${btoa(KEY)}`
  }
`;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "petit-kubeconfig-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function write(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
  return path;
}

/** Asserts a KubeConfigError whose message matches `re` and holds no secret. */
async function refused(p: Promise<unknown>, re: RegExp): Promise<KubeConfigError> {
  const err = await p.then(() => null, (e) => e);
  assert.ok(err instanceof KubeConfigError, `expected KubeConfigError, got ${err}`);
  assert.match(err.message, re);
  for (const secret of [TOKEN, "S0VZLXNlY3JldA", btoa(KEY)]) {
    assert.ok(!err.message.includes(secret), `secret in: ${err.message}`);
  }
  return err;
}

Deno.test("resolveClusterAccess: k3s-style kubeconfig with inline certificates", async () => {
  await withDir(async (dir) => {
    const path = await write(dir, "k3s.yaml", kubeconfig({}));
    const access = await resolveClusterAccess({ ...none, kubeconfig: path }, noEnv);
    assert.deepEqual(access, {
      server: "https://127.0.0.1:6443",
      caCert: CA,
      clientCert: CERT,
      clientKey: KEY,
      token: null,
      namespace: "default",
      source: `kubeconfig ${path} (context "default")`,
    });
  });
});

Deno.test("resolveClusterAccess: file fields are relative to the kubeconfig's folder", async () => {
  await withDir(async (dir) => {
    await write(dir, "conf/pki/ca.crt", CA);
    await write(dir, "conf/pki/client.crt", CERT);
    await write(dir, "conf/pki/client.key", KEY);
    await write(dir, "conf/token", `${TOKEN}\n`);
    const path = await write(
      dir,
      "conf/config",
      kubeconfig({
        cluster: "    server: https://k3s.lan:6443/\n    certificate-authority: pki/ca.crt",
        users: `- name: default
  user:
    client-certificate: pki/client.crt
    client-key: ${join(dir, "conf/pki/client.key")}
    tokenFile: token`,
      }),
    );
    const access = await resolveClusterAccess({ ...none, kubeconfig: path }, noEnv);
    assert.equal(access.server, "https://k3s.lan:6443");
    assert.equal(access.caCert, CA);
    assert.equal(access.clientCert, CERT);
    assert.equal(access.clientKey, KEY);
    assert.equal(access.token, TOKEN);

    await Deno.remove(join(dir, "conf/pki/ca.crt"));
    await refused(
      resolveClusterAccess({ ...none, kubeconfig: path }, noEnv),
      /^kubeconfig .*conf\/config: certificate-authority of cluster "default": file .*conf\/pki\/ca\.crt not found$/,
    );
  });
});

Deno.test("resolveClusterAccess: context choice, and a missing one lists the known ones", async () => {
  await withDir(async (dir) => {
    const path = await write(
      dir,
      "config",
      kubeconfig({
        contexts: `- name: default
  context: {cluster: default, user: default}
- name: ops
  context: {cluster: default, user: robot, namespace: batch}`,
        users: `- name: default
  user: {token: other}
- name: robot
  user: {token: ${TOKEN}}`,
      }),
    );
    const current = await resolveClusterAccess({ ...none, kubeconfig: path }, noEnv);
    assert.equal(current.token, "other");
    const ops = await resolveClusterAccess({ ...none, kubeconfig: path, context: "ops" }, noEnv);
    assert.equal(ops.token, TOKEN);
    assert.equal(ops.namespace, "batch");
    assert.equal(ops.source, `kubeconfig ${path} (context "ops")`);

    const err = await refused(
      resolveClusterAccess({ ...none, kubeconfig: path, context: "prod" }, noEnv),
      /^kubeconfig .*config: no context named "prod" \(known contexts: "default", "ops"\)$/,
    );
    assert.equal(err.path, path);

    const noCurrent = await write(dir, "nocurrent", kubeconfig({ current: "" }));
    await refused(
      resolveClusterAccess({ ...none, kubeconfig: noCurrent }, noEnv),
      /no current-context, and kubernetes\.context is not set \(contexts: "default"\)/,
    );
    await refused(
      resolveClusterAccess({ ...none, kubeconfig: join(dir, "absent") }, noEnv),
      /^kubeconfig .*absent not found \(set kubernetes\.kubeconfig to an existing file\)$/,
    );
  });
});

Deno.test("resolveClusterAccess: $KUBECONFIG's first existing file, then ~/.kube/config", async () => {
  await withDir(async (dir) => {
    const second = await write(dir, "b.yaml", kubeconfig({}));
    await write(dir, "c.yaml", "not: used");
    const home = await write(dir, "home/.kube/config", kubeconfig({}));
    const env = (vars: Record<string, string>) => (k: string) => vars[k];
    const list = `${join(dir, "a.yaml")}::${second}:${join(dir, "c.yaml")}`;
    const a = await resolveClusterAccess(none, env({ KUBECONFIG: list, HOME: join(dir, "home") }));
    assert.equal(a.source, `kubeconfig ${second} (context "default")`);
    const b = await resolveClusterAccess(none, env({ HOME: join(dir, "home") }));
    assert.equal(b.source, `kubeconfig ${home} (context "default")`);
    await refused(
      resolveClusterAccess(none, env({ KUBECONFIG: join(dir, "a.yaml"), HOME: dir }), {
        serviceAccountDir: join(dir, "nothing"),
      }),
      /^no kubeconfig found \(looked at .*a\.yaml, .*\.kube\/config\) and not running in a cluster: set kubernetes\.kubeconfig/,
    );
  });
});

Deno.test("resolveClusterAccess: exec and auth-provider users and skipped TLS checks are refused", async () => {
  await withDir(async (dir) => {
    const exec = await write(
      dir,
      "exec",
      kubeconfig({
        users: `- name: default
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: /usr/bin/aws
      args: [eks, get-token, --cluster-name, ${TOKEN}]`,
      }),
    );
    await refused(
      resolveClusterAccess({ ...none, kubeconfig: exec }, noEnv),
      /^kubeconfig .*exec: user "default" gets its credentials from an exec plugin \(aws\), which Petit does not run: use a client certificate .* or a token/,
    );
    const provider = await write(
      dir,
      "provider",
      kubeconfig({
        users: `- name: default
  user:
    auth-provider:
      name: oidc
      config: {id-token: ${TOKEN}}`,
      }),
    );
    await refused(
      resolveClusterAccess({ ...none, kubeconfig: provider }, noEnv),
      /user "default" uses an auth-provider, which Petit does not support/,
    );
    const insecure = await write(
      dir,
      "insecure",
      kubeconfig({
        cluster: "    server: https://10.0.0.1:6443\n    insecure-skip-tls-verify: true",
      }),
    );
    await refused(
      resolveClusterAccess({ ...none, kubeconfig: insecure }, noEnv),
      /cluster "default" sets insecure-skip-tls-verify, which Petit does not support: give the server's CA as certificate-authority-data/,
    );
  });
});

Deno.test("resolveClusterAccess: broken files say what is wrong without quoting secrets", async () => {
  await withDir(async (dir) => {
    const cases: [string, RegExp][] = [
      [
        `users:\n- name: x\n  user:\n    token: ${TOKEN}: nested: ${TOKEN}\n`,
        /not valid YAML \(.*line 4/,
      ],
      [
        kubeconfig({ users: `- name: default\n  user:\n    client-key-data: "%%${TOKEN}"` }),
        /client-key-data of user "default" is not valid base64/,
      ],
      [
        kubeconfig({ users: `- name: default\n  user:\n    client-key-data: ${btoa(TOKEN)}` }),
        /client-key-data of user "default" is not base64 of a PEM key/,
      ],
      [
        kubeconfig({
          users: `- name: default\n  user:\n    client-certificate-data: ${btoa(CERT)}`,
        }),
        /user "default" has a client certificate but no key/,
      ],
      [
        kubeconfig({ cluster: "    certificate-authority-data: x" }),
        /cluster "default" has no server/,
      ],
      [
        kubeconfig({ contexts: "- name: default\n  context: {cluster: default, user: nobody}" }),
        /context "default" names user "nobody", which is not in users/,
      ],
    ];
    for (const [i, [text, re]] of cases.entries()) {
      const path = await write(dir, `bad${i}`, text);
      await refused(resolveClusterAccess({ ...none, kubeconfig: path }, noEnv), re);
    }
  });
});

Deno.test("resolveClusterAccess: in-cluster from the service account folder", async () => {
  await withDir(async (dir) => {
    const sa = join(dir, "serviceaccount");
    await write(dir, "serviceaccount/token", `${TOKEN}\n`);
    await write(dir, "serviceaccount/ca.crt", CA);
    await write(dir, "serviceaccount/namespace", "petit-jobs");
    const env = (host: string) => (k: string) =>
      ({ KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: "443", HOME: dir })[k];
    const access = await resolveClusterAccess(none, env("10.43.0.1"), { serviceAccountDir: sa });
    assert.deepEqual(access, {
      server: "https://10.43.0.1:443",
      caCert: CA,
      clientCert: null,
      clientKey: null,
      token: TOKEN,
      namespace: "petit-jobs",
      source: "in-cluster",
    });
    const v6 = await resolveClusterAccess({ ...none, namespace: "mine" }, env("fd00:43::1"), {
      serviceAccountDir: sa,
    });
    assert.equal(v6.server, "https://[fd00:43::1]:443");
    assert.equal(v6.namespace, "mine");
    // A kubeconfig, when there is one, wins over the service account.
    const home = await write(dir, ".kube/config", kubeconfig({}));
    const file = await resolveClusterAccess(none, env("10.43.0.1"), { serviceAccountDir: sa });
    assert.equal(file.source, `kubeconfig ${home} (context "default")`);
  });
});

Deno.test("resolveClusterAccess: namespace from the settings, else the context, else default", async () => {
  await withDir(async (dir) => {
    const path = await write(
      dir,
      "config",
      kubeconfig({
        contexts: `- name: default
  context: {cluster: default, user: default, namespace: from-context}
- name: bare
  context: {cluster: default, user: default}`,
      }),
    );
    const ns = async (settings: Partial<KubernetesSettings>) =>
      (await resolveClusterAccess({ ...none, kubeconfig: path, ...settings }, noEnv)).namespace;
    assert.equal(await ns({ namespace: "from-settings" }), "from-settings");
    assert.equal(await ns({}), "from-context");
    assert.equal(await ns({ context: "bare" }), "default");
  });
});
