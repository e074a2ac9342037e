/**
 * Kubernetes tasks (`type: kubernetes`, `run_kubernetes.ts`) against the fake API server
 * (`tests/exec/kube/fake_api_server.ts`) over mutual TLS with the client certificate of its
 * kubeconfig: the fake runs each container as a local process, so exit codes, output,
 * timeouts and cancels are real. Jobs come from YAML and run through the DAG runner
 * (`executeRun`) where a job's view matters (outputs, templates, retries); single attempts
 * are run directly where the result's fields matter (transient or not). Every test checks
 * that the Jobs were deleted with Background propagation and that no pod or process is left
 * (`kube_harness.ts`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { lazyCluster } from "../../../src/exec/kube/cluster.ts";
import { scaled } from "../../time_scale.ts";
import { runningPod, runOnce, runYaml, task, withCluster } from "./kube_harness.ts";

Deno.test("runKubernetesAttempt: the container's log is stdout, its outputs reach downstream tasks", async () => {
  await withCluster(async (fake, client) => {
    const { result } = await runYaml(
      client,
      `id: job
config:
  who: world
environment:
  STAGE: nightly
tasks:
  - id: k
    type: kubernetes
    image: busybox:1.36
    command: [sh, -c]
    args:
      - echo "hello $WHO $STAGE $PETIT_RUN_ID $PETIT_TASK_ID"; echo oops >&2; echo "::petit-output rows=42"
    environment:
      WHO: "{{ config.who }}"
  - id: after
    type: shell
    script: echo "rows={{ tasks.k.outputs.rows }} env=$PETIT_OUT_K_ROWS"
    depends_on: [k]
`,
    );
    assert.equal(result.status, "completed", JSON.stringify([...result.tasks]));
    const k = result.tasks.get("k")!;
    assert.equal(k.exitCode, 0);
    assert.equal(k.stdout, "hello world nightly r1 k\noops\n::petit-output rows=42\n");
    assert.deepEqual(k.outputs, { rows: "42" });
    assert.equal(result.tasks.get("after")!.stdout, "rows=42 env=42\n");
    // Petit's labels and annotations went on the Job: the fake's delete names it.
    assert.match(fake.deletes[0].name, /^job-k-1-[a-z0-9]{5}$/);
  });
});

Deno.test("runKubernetesAttempt: a non-zero exit is `exit code N`, not transient, retried by retry", async () => {
  await withCluster(async (fake, client) => {
    const once = await runOnce(task("echo failing; exit 3"), {
      kubernetes: () => Promise.resolve(client),
    });
    assert.equal(once.ok, false);
    assert.equal(once.exitCode, 3);
    assert.equal(once.error, "exit code 3");
    assert.equal(once.transient, false);
    assert.equal(once.logs.stdout, "failing\n");

    const { result } = await runYaml(client, task("exit 1", "retry: {max_attempts: 1}"));
    const k = result.tasks.get("k")!;
    assert.equal(k.status, "failed");
    assert.equal(k.attempts, 2);
    // One Job per attempt, each deleted.
    const names = fake.deletes.map((d) => d.name);
    assert.equal(new Set(names).size, 3);
    assert.ok(names.some((n) => /^job-k-2-/.test(n)), names.join(", "));
  });
});

Deno.test("runKubernetesAttempt: a timeout deletes the Job and the container process is gone", async () => {
  await withCluster(async (_fake, client) => {
    const started = Date.now();
    const result = await runOnce(task("echo started; sleep 30", "timeout: 1s"), {
      kubernetes: () => Promise.resolve(client),
    });
    assert.equal(result.error, "timed out after 1000 ms");
    assert.equal(result.transient, true);
    assert.equal(result.exitCode, null);
    assert.equal(result.logs.stdout, "started\n");
    assert.ok(Date.now() - started < scaled(8000), `took ${Date.now() - started} ms`);
  });
});

Deno.test("runKubernetesAttempt: a cancel deletes the running Job", async () => {
  await withCluster(async (fake, client) => {
    const cancel = new AbortController();
    const done = runYaml(client, task("sleep 30"), cancel.signal);
    await runningPod(fake);
    assert.equal(fake.runningPids().length, 1);
    cancel.abort();
    const { result } = await done;
    assert.equal(result.status, "cancelled");
    assert.equal(result.tasks.get("k")!.status, "cancelled");
  });
});

Deno.test("runKubernetesAttempt: an image that cannot be pulled fails at once, not transient", async () => {
  await withCluster(async (_fake, client) => {
    const result = await runOnce(
      task("true").replace("busybox:1.36", "busybox:pull-error"),
      { kubernetes: () => Promise.resolve(client) },
    );
    assert.equal(result.transient, false);
    assert.match(
      result.error,
      /^image "busybox:pull-error" cannot be pulled \((ErrImagePull|ImagePullBackOff)\): /,
    );
    assert.match(result.logs.stderr, /cannot be pulled/);
  });
});

Deno.test("runKubernetesAttempt: an unschedulable pod says why, then fails as transient", async () => {
  await withCluster(async (_fake, client) => {
    const lines: string[] = [];
    const result = await runOnce(
      task("true", "node_selector: {petit.test/unschedulable: 'yes'}"),
      {
        kubernetes: () => Promise.resolve(client),
        onLine: (stream, line) => lines.push(`${stream}: ${line}`),
      },
    );
    assert.equal(result.transient, true);
    assert.match(result.error, /could not be scheduled in 0\.4 s: 0\/1 nodes are available/);
    assert.match(lines[0], /^stderr: pod job-k-1-\w+-\w+ cannot be scheduled yet: 0\/1 nodes/);
  });
});

Deno.test("runKubernetesAttempt: an evicted pod fails as transient, with the kubelet's reason", async () => {
  await withCluster(async (fake, client) => {
    const done = runOnce(task("echo up; sleep 30"), { kubernetes: () => Promise.resolve(client) });
    fake.evict((await runningPod(fake)).metadata.name!);
    const result = await done;
    assert.equal(result.transient, true);
    assert.match(result.error, /^pod job-k-1-\w+-\w+ was evicted: The node was low on resource/);
  });
});

Deno.test("runKubernetesAttempt: a dropped log stream is resumed without losing or repeating lines", async () => {
  await withCluster(async (fake, client) => {
    fake.dropNextLogAfter(45);
    const result = await runOnce(
      task("for i in $(seq 1 30); do echo line-$i; sleep 0.02; done"),
      { kubernetes: () => Promise.resolve(client) },
    );
    assert.equal(result.error, "");
    const expected = Array.from({ length: 30 }, (_, i) => `line-${i + 1}\n`).join("");
    assert.equal(result.logs.stdout, expected);
    const logCalls = fake.requests.filter((r) => r.path.includes("/log?"));
    assert.ok(logCalls.length >= 2, `log requests: ${logCalls.map((r) => r.path).join(", ")}`);
    assert.match(logCalls[1].path, /sinceTime=/);
  });
});

Deno.test("runKubernetesAttempt: a log stream that drops as the container ends loses nothing", async () => {
  await withCluster(async (fake, client) => {
    // Ended before the drop is seen (what a slow client meets): its log is read from the
    // kubelet again, past the bytes that came.
    fake.dropNextLogAfter(45);
    const result = await runOnce(
      task("for i in $(seq 1 30); do echo line-$i; done; sleep 0.3"),
      { kubernetes: () => Promise.resolve(client) },
    );
    assert.equal(result.error, "");
    const expected = Array.from({ length: 30 }, (_, i) => `line-${i + 1}\n`).join("");
    assert.equal(result.logs.stdout, expected);
  });
});

Deno.test("runKubernetesAttempt: 429 and 500 answers are retried; 401 is a clear error", async () => {
  await withCluster(async (fake, client) => {
    fake.failNext(1, 429, /^POST /);
    fake.failNext(2, 500, /^GET .*\/pods\?/);
    const ok = await runOnce(task("echo fine"), { kubernetes: () => Promise.resolve(client) });
    assert.equal(ok.error, "");
    assert.equal(ok.logs.stdout, "fine\n");
    assert.ok(fake.requests.some((r) => r.status === 429));
    assert.ok(fake.requests.some((r) => r.status === 500));

    fake.failNext(1, 401, /^POST /);
    const refused = await runOnce(task("echo never"), {
      kubernetes: () => Promise.resolve(client),
    });
    assert.equal(refused.transient, false);
    assert.match(refused.error, /refused the credentials/);
    // 429 then created; 401 not retried.
    assert.deepEqual(fake.requests.filter((r) => r.method === "POST").map((r) => r.status), [
      429,
      201,
      401,
    ]);
  });
});

Deno.test("runKubernetesAttempt: no cluster configured is a clear error, not transient", async () => {
  const home = await Deno.makeTempDir({ prefix: "petit-no-kube-" });
  const cluster = lazyCluster(
    { kubeconfig: null, context: null, namespace: null },
    { env: (name) => (name === "HOME" ? home : undefined) },
  );
  try {
    const starts: unknown[] = [];
    const result = await runOnce(task("true"), {
      kubernetes: cluster.client,
      started: (info) => starts.push(info),
    });
    assert.equal(result.ok, false);
    assert.equal(result.transient, false);
    assert.match(
      result.error,
      /^no Kubernetes cluster configured: set \[kubernetes\] kubeconfig in the config file, or KUBECONFIG/,
    );
    assert.deepEqual(starts, [{ pgid: null, procStart: null }]);
  } finally {
    cluster.close();
    await Deno.remove(home, { recursive: true });
  }
});
