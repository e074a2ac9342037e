/**
 * Kubernetes tasks from the command line, as real `pt` subprocesses against the fake API
 * server (`tests/exec/kube/fake_api_server.ts`) named by a config file's `[kubernetes]`:
 * `pt validate` accepts a Kubernetes task with no cluster configured, `pt trigger` runs one
 * on the cluster and leaves nothing behind, `pt run` deletes the Jobs of a run a `kill -9`
 * interrupted when it starts again, and `pt doctor kubernetes` passes its checks on
 * the fake and fails them, with reasons, when the image cannot be pulled or no cluster is
 * configured.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type FakeCluster, startFakeCluster } from "../exec/kube/fake_api_server.ts";
import {
  type Exit,
  runs,
  type Sandbox,
  stdoutOf,
  waitUntil,
  withSandbox,
} from "../scenarios/helpers.ts";

function show(exit: Exit): string {
  return `exit ${exit.code}\n--- stdout\n${exit.stdout}\n--- stderr\n${exit.stderr}`;
}

/** A sandbox, a fake cluster and a config file naming its kubeconfig; all cleaned up. */
async function withCluster(fn: (sb: Sandbox, fake: FakeCluster, config: string) => Promise<void>) {
  await withSandbox(async (sb) => {
    const fake = await startFakeCluster();
    try {
      const config = join(sb.dir, "config.toml");
      await Deno.writeTextFile(config, `[kubernetes]\nkubeconfig = "${fake.kubeconfigPath}"\n`);
      await fn(sb, fake, config);
      assert.deepEqual(fake.jobs(), []);
      assert.deepEqual(fake.pods(), []);
      assert.deepEqual(fake.secrets(), []);
      assert.deepEqual(fake.runningPids(), []);
      for (const d of fake.deletes) assert.equal(d.propagationPolicy, "Background", d.name);
    } finally {
      await fake.close();
    }
  });
}

const JOB = `id: cluster_job
tasks:
  - id: hello
    type: kubernetes
    image: busybox:1.36
    command: [sh, -c, 'echo "hello from $PETIT_TASK_ID"; echo "::petit-output n=7"']
    node_selector: {kubernetes.io/arch: arm64}
    resources: {requests: {cpu: 100m, memory: 16Mi}, limits: {memory: 64Mi}}
    timeout: 30s
  - id: after
    type: shell
    script: echo "n={{ tasks.hello.outputs.n }}"
    depends_on: [hello]
`;

Deno.test("pt validate: a kubernetes task with no cluster configured is valid", async () => {
  await withSandbox(async (sb) => {
    await sb.job("cluster_job", JOB);
    const exit = await sb.cli(["validate", sb.jobs]);
    assert.equal(exit.code, 0, show(exit));
  });
});

Deno.test("pt trigger: a kubernetes task runs on the cluster of [kubernetes] and is cleaned up", async () => {
  await withCluster(async (sb, fake, config) => {
    await sb.job("cluster_job", JOB);
    const exit = await sb.cli([
      "trigger",
      sb.jobs,
      "cluster_job",
      "--db",
      sb.db,
      "--config",
      config,
    ]);
    assert.equal(exit.code, 0, show(exit));
    const [run] = runs(sb.db, "cluster_job");
    assert.equal(run.status, "completed");
    assert.equal(stdoutOf(sb.db, run.id, "hello"), "hello from hello\n::petit-output n=7\n");
    assert.equal(stdoutOf(sb.db, run.id, "after"), "n=7\n");
    assert.equal(fake.deletes.length, 1);
  });
});

Deno.test("pt run: after kill -9, the next start deletes the interrupted run's Jobs", async () => {
  await withCluster(async (sb, fake, config) => {
    const job = (extra: string) =>
      sb.job(
        "slow",
        `id: slow\nschedule: "* * * * * *"\nmax_concurrency: 1\n${extra}tasks:\n` +
          "  - id: wait\n    type: kubernetes\n    image: busybox\n    command: [sleep, '30']\n",
      );
    await job("");
    const first = sb.run(["--config", config]);
    await first.ready();
    await waitUntil("a running container", () => fake.runningPids().length === 1);
    const [left] = fake.jobs();
    first.signal("SIGKILL");
    await first.exited;
    assert.deepEqual(fake.jobs().map((j) => j.metadata.name), [left.metadata.name]);

    await job("enabled: false\n");
    const second = sb.run(["--config", config]);
    await second.ready();
    await second.waitLog(/deleted Kubernetes Job default\/slow-wait-1-\w+ of an interrupted run/);
    await waitUntil("the pod to be gone", () => fake.pods().length === 0);
    const exit = await second.stop();
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(runs(sb.db, "slow")[0].status, "interrupted");
  });
});

Deno.test("pt doctor kubernetes: every check passes on a working cluster", async () => {
  await withCluster(async (sb, fake, config) => {
    const exit = await sb.cli(["doctor", "kubernetes", "--config", config]);
    assert.equal(exit.code, 0, show(exit));
    for (const label of ["cluster", "log", "secret", "exit code", "cancel", "clean-up"]) {
      assert.match(exit.stdout, new RegExp(`^✓ ${label}: `, "m"), show(exit));
    }
    assert.match(exit.stdout, /^✓ log: the Job's log has "petit-doctor-ok"/m);
    // The secret value went through a Secret (made, then deleted), not the Job's spec.
    const secretCalls = fake.requests.filter((r) => r.path.includes("/secrets"))
      .map((r) => r.method);
    assert.deepEqual(secretCalls, ["POST", "PATCH", "DELETE"]);
    assert.match(exit.stdout, /^✓ exit code: 3, from the container's terminated state$/m);
    assert.match(exit.stdout, /^all checks passed$/m);
  });
});

Deno.test("pt doctor kubernetes: an image that cannot be pulled fails with the reason", async () => {
  await withCluster(async (sb, _fake, config) => {
    const exit = await sb.cli([
      "doctor",
      "kubernetes",
      "--config",
      config,
      "--image",
      "busybox:pull-error",
    ]);
    assert.equal(exit.code, 1, show(exit));
    assert.match(
      exit.stdout,
      /^✗ log: no "petit-doctor-ok" line: image "busybox:pull-error" cannot be pulled/m,
    );
    assert.match(exit.stdout, /^✓ clean-up: /m);
    assert.match(exit.stdout, /check\(s\) failed$/m);
  });
});

Deno.test("pt doctor kubernetes: no cluster configured is one failed check that says what to set", async () => {
  await withSandbox(async (sb) => {
    const home = join(sb.dir, "home");
    await Deno.mkdir(home);
    const denoDir = Deno.env.get("DENO_DIR") ??
      join(Deno.env.get("HOME") ?? "/root", ".cache/deno");
    const exit = await sb.cli(["doctor", "kubernetes"], {
      HOME: home,
      DENO_DIR: denoDir,
      KUBECONFIG: join(home, "missing"),
    });
    assert.equal(exit.code, 1, show(exit));
    assert.match(
      exit.stdout,
      /^✗ cluster: no Kubernetes cluster configured: set \[kubernetes\] kubeconfig in the config file, or KUBECONFIG/m,
    );
  });
});
