/**
 * The real `kubectl` against the fake API server (`fake_api_server.ts`), with the fake's
 * k3s-like kubeconfig and an empty HOME: it lists a Job that Petit's client created, prints
 * its logs, deletes it with its pods (kubectl sends propagationPolicy Background), creates
 * and waits for a Job of its own, and is refused without valid credentials. This keeps the
 * fake honest: what Petit is tested against is what kubectl accepts too. `PETIT_KUBECTL`
 * names another binary (e.g. Debian's kubernetes-client 1.20 unpacked elsewhere); ignored
 * when kubectl is not installed (CI installs it).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createKubeClient } from "../../../src/exec/kube/client.ts";
import { resolveClusterAccess } from "../../../src/exec/kube/kubeconfig.ts";
import { type FakeCluster, startFakeCluster } from "./fake_api_server.ts";

const KUBECTL = Deno.env.get("PETIT_KUBECTL") ?? "kubectl";

async function installed(): Promise<boolean> {
  try {
    const out = await new Deno.Command(KUBECTL, {
      args: ["version", "--client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

const ignore = !(await installed());

/** Runs kubectl with `kubeconfig` and a HOME of its own (no user state, no cache). */
async function kubectl(
  home: string,
  kubeconfig: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(KUBECTL, {
    args: ["--kubeconfig", kubeconfig, "--request-timeout=10s", ...args],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: "" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // A kubectl that hangs fails its test instead of the whole suite.
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function withCluster(fn: (fake: FakeCluster, home: string) => Promise<void>) {
  const fake = await startFakeCluster();
  const home = await Deno.makeTempDir({ prefix: "petit-kubectl-home-" });
  try {
    await fn(fake, home);
  } finally {
    await fake.close();
    await Deno.remove(home, { recursive: true });
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test({
  name: "kubectl: gets, prints the logs of and deletes a Job made by Petit's client",
  ignore,
  fn: () =>
    withCluster(async (fake, home) => {
      const access = await resolveClusterAccess({
        kubeconfig: fake.kubeconfigPath,
        context: null,
        namespace: null,
      });
      const client = createKubeClient(access);
      try {
        await client.createJob("default", {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: "petit-hello", labels: { "petit.dev/job": "hello" } },
          spec: {
            backoffLimit: 0,
            template: {
              metadata: { labels: { "petit.dev/job": "hello" } },
              spec: {
                restartPolicy: "Never",
                containers: [{
                  name: "task",
                  image: "busybox",
                  command: ["sh", "-c", 'echo "hello from $WHO"; exec sleep 30'],
                  env: [{ name: "WHO", value: "the pod" }],
                }],
              },
            },
          },
        });
      } finally {
        client.close();
      }
      await waitFor("the pod to run", () => fake.runningPids().length === 1);
      const [pid] = fake.runningPids();
      const config = fake.kubeconfigPath;

      const jobs = await kubectl(home, config, "get", "jobs");
      assert.equal(jobs.code, 0, jobs.stderr);
      assert.match(jobs.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
      assert.match(jobs.stdout, /\npetit-hello\s+Running\s+0\/1\s/);
      const pods = await kubectl(home, config, "get", "pods", "-l", "petit.dev/job=hello");
      assert.match(pods.stdout, /\npetit-hello-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s/);

      await waitFor("the output", () => fake.pods()[0]?.status?.phase === "Running");
      let logs = await kubectl(home, config, "logs", "job/petit-hello");
      for (let i = 0; i < 50 && logs.stdout === ""; i++) {
        await new Promise((r) => setTimeout(r, 20));
        logs = await kubectl(home, config, "logs", "job/petit-hello");
      }
      assert.equal(logs.code, 0, logs.stderr);
      assert.equal(logs.stdout, "hello from the pod\n");

      const del = await kubectl(home, config, "delete", "job", "petit-hello");
      assert.equal(del.code, 0, del.stderr);
      assert.equal(del.stdout, 'job.batch "petit-hello" deleted\n');
      assert.deepEqual(fake.deletes.map((d) => [d.kind, d.name, d.propagationPolicy]), [
        ["Job", "petit-hello", "Background"],
      ]);
      await waitFor("the pods to go", () => fake.pods().length === 0);
      assert.throws(() => Deno.kill(pid, "SIGCONT"), Deno.errors.NotFound);
      const after = await kubectl(home, config, "get", "jobs,pods");
      assert.equal(after.code, 0, after.stderr);
      assert.equal(after.stdout, "");
      assert.match(after.stderr, /No resources found in default namespace/);
    }),
});

Deno.test({
  name: "kubectl: creates a Job, follows it to its end and reads its logs and status",
  ignore,
  fn: () =>
    withCluster(async (fake, home) => {
      const config = fake.kubeconfigPath;
      const create = await kubectl(
        home,
        config,
        "create",
        "job",
        "adhoc",
        "--image=busybox",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
      );
      assert.equal(create.code, 0, create.stderr);
      assert.equal(create.stdout, "job.batch/adhoc created\n");
      // backoffLimit defaults to 6, as in a real cluster: 7 pods fail before the Job does.
      // Polled with `get` (kubectl's `wait` watches, which this server answers less surely).
      const deadline = Date.now() + 20_000;
      let failed = 0;
      while (failed !== 7 && Date.now() < deadline) {
        const got = await kubectl(home, config, "get", "job", "adhoc", "-o", "json");
        assert.equal(got.code, 0, got.stderr);
        failed = JSON.parse(got.stdout).status?.failed ?? 0;
        if (failed !== 7) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(fake.pods().length, 7);
      const logs = await kubectl(home, config, "logs", `pod/${fake.pods()[0].metadata.name}`);
      assert.equal(logs.stdout, "out\nerr\n");
      const json = await kubectl(home, config, "get", "job", "adhoc", "-o", "json");
      const job = JSON.parse(json.stdout);
      assert.equal(job.status.failed, 7);
      assert.equal(job.status.conditions[0].reason, "BackoffLimitExceeded");
      const missing = await kubectl(home, config, "get", "job", "nope");
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Error from server \(NotFound\): jobs\.batch "nope" not found/);
    }),
});

Deno.test({
  name: "kubectl: refused with a certificate of another CA or a wrong token",
  ignore,
  fn: () =>
    withCluster(async (fake, home) => {
      // A client certificate the cluster's CA did not sign (kubectl 1.20 with no credentials
      // at all prompts for a password instead of asking the server).
      const made = await new Deno.Command("openssl", {
        args: [
          ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
          ...["-nodes", "-keyout", "intruder.key", "-out", "intruder.crt", "-days", "1"],
          ...["-subj", "/O=system:masters/CN=intruder", "-addext", "basicConstraints=CA:FALSE"],
          ...["-addext", "extendedKeyUsage=clientAuth"],
        ],
        cwd: home,
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(made.success, "openssl made a certificate");
      const users = [
        `{client-certificate: ${home}/intruder.crt, client-key: ${home}/intruder.key}`,
        "{token: not-the-token}",
      ];
      for (const user of users) {
        const config = join(home, "refused.yaml");
        await Deno.writeTextFile(
          config,
          `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: "${fake.url}", certificate-authority: "${join(fake.dir, "ca.crt")}"}
contexts:
- name: fake
  context: {cluster: fake, user: someone}
current-context: fake
users:
- name: someone
  user: ${user}
`,
        );
        const out = await kubectl(home, config, "get", "jobs");
        assert.equal(out.code, 1);
        // kubectl 1.20 says "(Unauthorized)"; newer ones say what a 401 means.
        assert.match(
          out.stderr,
          /error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/,
        );
      }
      assert.ok(fake.requests.length > 0);
      assert.ok(fake.requests.every((r) => r.status === 401));
    }),
});
