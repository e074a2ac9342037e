/**
 * `createKubeClient` against the fake API server (`fake_api_server.ts`), over real HTTPS:
 * client-certificate and bearer-token authentication, the retry policy (429 after its
 * Retry-After, 5xx, dropped connections; not 401/403), errors that say which call failed
 * and hold no token, deleteJob's Background propagation (and why: without it the pods run
 * on), and followLog streaming a job's output as it is written.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createKubeClient, type KubeClientOptions } from "../../../src/exec/kube/client.ts";
import { KubeApiError } from "../../../src/exec/kube/errors.ts";
import { resolveClusterAccess } from "../../../src/exec/kube/kubeconfig.ts";
import type { ClusterAccess, KubeClient, KubeJob } from "../../../src/exec/kube/types.ts";
import { type FakeCluster, startFakeCluster } from "./fake_api_server.ts";

/** Shell that waits for the file `go` in the container's folder (fake.dir). */
const GATE = "until [ -e go ]; do sleep 0.01; done";

/** Runs `fn` with a new fake cluster and a client of its kubeconfig; closes both. */
async function withCluster(
  fn: (fake: FakeCluster, client: KubeClient) => Promise<void>,
  options: KubeClientOptions = { retryBaseMs: 10 },
): Promise<void> {
  const fake = await startFakeCluster();
  const access = await resolveClusterAccess({
    kubeconfig: fake.kubeconfigPath,
    context: null,
    namespace: null,
  });
  const client = createKubeClient(access, options);
  try {
    await fn(fake, client);
  } finally {
    client.close();
    await fake.close();
  }
}

/** A Job running `script` under sh. */
function job(name: string, script: string, extra: Partial<KubeJob["spec"]> = {}): KubeJob {
  const labels = { "petit.dev/run": "r1", "petit.dev/task": name };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      ...extra,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "task", image: "busybox:1.36", command: ["sh", "-c", script] }],
          ...extra.template?.spec,
        },
      },
    },
  };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 3000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The pod of `jobName` once it runs. */
async function runningPod(client: KubeClient, jobName: string): Promise<string> {
  let name = "";
  await waitFor(`${jobName} running`, async () => {
    const pods = await client.listPods("default", `job-name=${jobName}`);
    name = pods[0]?.metadata.name ?? "";
    return pods[0]?.status?.phase === "Running";
  });
  return name;
}

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  const err = await p.then(() => null, (e) => e);
  assert.ok(err instanceof KubeApiError, `expected KubeApiError, got ${err}`);
  return err;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/** What a stream gave before it ended or failed, and whether it failed. */
async function readToFailure(
  stream: ReadableStream<Uint8Array>,
): Promise<{ text: string; failed: boolean }> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  } catch {
    return { text, failed: true };
  }
  return { text, failed: false };
}

Deno.test("createKubeClient: client certificate auth creates, gets and lists Jobs", async () => {
  await withCluster(async (fake, client) => {
    const created = await client.createJob("default", job("hello", "echo hi"));
    assert.equal(created.metadata.name, "hello");
    assert.ok(created.metadata.uid);
    const got = await client.getJob("default", "hello");
    assert.equal(got?.metadata.uid, created.metadata.uid);
    assert.equal(await client.getJob("default", "absent"), null);
    await client.createJob("other", job("there", "true"));

    const mine = await client.listJobs("default", "petit.dev/run=r1");
    assert.deepEqual(mine.map((j) => [j.kind, j.apiVersion, j.metadata.name]), [
      ["Job", "batch/v1", "hello"],
    ]);
    const all = await client.listJobs(null, "petit.dev/run=r1,petit.dev/task!=nope");
    assert.deepEqual(all.map((j) => j.metadata.name).sort(), ["hello", "there"]);
    assert.equal((await client.listJobs(null, "petit.dev/run=r2")).length, 0);
    assert.ok(
      fake.requests.some((r) =>
        r.path === "/apis/batch/v1/jobs?labelSelector=petit.dev%2Frun%3Dr1" +
            "%2Cpetit.dev%2Ftask%21%3Dnope" && r.status === 200
      ),
    );

    await waitFor("hello completes", async () => {
      const j = await client.getJob("default", "hello");
      return j?.status?.conditions?.some((c) => c.type === "Complete") ?? false;
    });
    const [pod] = await client.listPods("default", "job-name=hello");
    assert.equal(pod.kind, "Pod");
    assert.equal(pod.status?.phase, "Succeeded");
    assert.equal(pod.status?.containerStatuses?.[0].state?.terminated?.exitCode, 0);
  });
});

Deno.test("createKubeClient: bearer token auth, and a refused token is not retried", async () => {
  await withCluster(async (fake) => {
    const access: ClusterAccess = {
      server: fake.url,
      caCert: fake.caCert,
      clientCert: null,
      clientKey: null,
      token: fake.token,
      namespace: "default",
      source: "a test token",
    };
    const client = createKubeClient(access, { retryBaseMs: 10 });
    const wrong = createKubeClient({ ...access, token: "wrong-secret-token" }, { retryBaseMs: 10 });
    try {
      assert.deepEqual(await client.listJobs("default", ""), []);
      const before = fake.requests.length;
      const err = await rejection(wrong.listJobs("default", ""));
      assert.equal(err.status, 401);
      assert.equal(err.reason, "Unauthorized");
      assert.equal(err.transient, false);
      assert.equal(
        err.message,
        'kubernetes: list jobs in namespace "default": the API server refused the credentials ' +
          "of a test token (401 Unauthorized): check the client certificate or token",
      );
      assert.ok(!err.message.includes("wrong-secret-token"));
      assert.equal(fake.requests.length - before, 1);
    } finally {
      client.close();
      wrong.close();
    }
  });
});

Deno.test("createKubeClient: 403 names the verb and resource, and is not retried", async () => {
  await withCluster(async (fake, client) => {
    fake.failNext(1, 403, /^POST /);
    const err = await rejection(client.createJob("default", job("denied", "true")));
    assert.equal(err.status, 403);
    assert.equal(err.reason, "Forbidden");
    assert.match(
      err.message,
      /^kubernetes: create jobs in namespace "default": the user of kubeconfig .* \(context "fake"\) lacks permission to create jobs \(403 Forbidden: jobs\.batch is forbidden: User "admin" cannot create resource "jobs" in API group "batch" in the namespace "default"\)/,
    );
    assert.equal(fake.requests.filter((r) => r.method === "POST").length, 1);
    assert.deepEqual(fake.jobs(), []);
  });
});

Deno.test("createKubeClient: 429 waits for Retry-After, 500 is retried, then it succeeds", async () => {
  await withCluster(async (fake, client) => {
    fake.failNext(1, 429, /jobs/);
    fake.failNext(1, 500, /jobs/);
    const t0 = Date.now();
    assert.deepEqual(await client.listJobs("default", ""), []);
    assert.ok(Date.now() - t0 >= 950, "Retry-After: 1 was honoured");
    assert.deepEqual(fake.requests.map((r) => r.status), [429, 500, 200]);
  });
});

Deno.test("createKubeClient: retries exhausted give a transient KubeApiError", async () => {
  await withCluster(async (fake, client) => {
    fake.failNext(10, 500);
    const err = await rejection(client.getJob("default", "x"));
    assert.equal(err.status, 500);
    assert.equal(err.reason, "InternalError");
    assert.equal(err.transient, true);
    assert.equal(
      err.message,
      'kubernetes: get jobs "x" in namespace "default": 500 InternalError: Internal error ' +
        "occurred: injected failure after 3 tries",
    );
    assert.equal(fake.requests.length, 3);
  }, { retries: 2, retryBaseMs: 10 });
});

Deno.test("createKubeClient: an unreachable server gives status 0 naming its URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const client = createKubeClient({
    server: `https://127.0.0.1:${port}`,
    caCert: null,
    clientCert: null,
    clientKey: null,
    token: "unreachable-secret",
    namespace: "default",
    source: "test",
  }, { retries: 1, retryBaseMs: 10 });
  try {
    const err = await rejection(client.listPods("default", "a=b"));
    assert.equal(err.status, 0);
    assert.equal(err.transient, true);
    assert.match(
      err.message,
      new RegExp(
        `^kubernetes: list pods in namespace "default": cannot reach the API server at ` +
          `https://127\\.0\\.0\\.1:${port} \\(.*\\) after 2 tries$`,
      ),
    );
    assert.ok(!err.message.includes("unreachable-secret"));
  } finally {
    client.close();
  }
});

Deno.test("createKubeClient: a create retried after a lost answer returns the Job it made", async () => {
  let cut = true;
  // The first POST reaches the server, but its answer is lost on the way back.
  const lossy: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (cut && init?.method === "POST") {
      cut = false;
      await res.body?.cancel();
      throw new TypeError("connection reset by peer");
    }
    return res;
  };
  await withCluster(async (fake, client) => {
    const created = await client.createJob("default", job("once", "true"));
    assert.deepEqual(fake.jobs().map((j) => j.metadata.uid), [created.metadata.uid]);
    assert.deepEqual(fake.requests.map((r) => `${r.method} ${r.status}`), [
      "POST 201",
      "POST 409",
      "GET 200",
    ]);
    // A name taken by another create is an error.
    const err = await rejection(client.createJob("default", job("once", "true")));
    assert.equal(err.status, 409);
    assert.equal(err.reason, "AlreadyExists");
    const invalid = await rejection(client.createJob("default", job("Bad_Name", "true")));
    assert.equal(invalid.status, 422);
    assert.match(invalid.message, /Job\.batch "Bad_Name" is invalid: metadata\.name/);
  }, { retryBaseMs: 10, fetch: lossy });
});

Deno.test("createKubeClient: deleteJob propagates to the pods; without a policy they run on", async () => {
  await withCluster(async (fake, client) => {
    // A background child too: the whole process group must go.
    await client.createJob("default", job("long", "sleep 30 & sleep 30"));
    await runningPod(client, "long");
    const [pid] = fake.runningPids();
    await client.deleteJob("default", "long");
    assert.deepEqual(fake.deletes, [{
      kind: "Job",
      namespace: "default",
      name: "long",
      propagationPolicy: "Background",
    }]);
    assert.ok(
      fake.requests.some((r) =>
        r.method === "DELETE" && r.path.endsWith("/jobs/long?propagationPolicy=Background")
      ),
    );
    await waitFor("pods gone", () => fake.pods().length === 0);
    // Polled: the background child, orphaned, is reaped by init when init gets to it.
    await waitFor("the process group gone", () => {
      try {
        Deno.kill(-pid, "SIGCONT");
        return false;
      } catch (err) {
        return err instanceof Deno.errors.NotFound;
      }
    });
    await client.deleteJob("default", "long"); // gone already: fine

    // The gotcha deleteJob avoids: a plain DELETE orphans the pods, which keep running.
    await client.createJob("default", job("orphan", "sleep 30"));
    await runningPod(client, "orphan");
    const http = Deno.createHttpClient({
      caCerts: [fake.caCert],
      cert: fake.clientCert,
      key: fake.clientKey,
    });
    try {
      const res = await fetch(`${fake.url}/apis/batch/v1/namespaces/default/jobs/orphan`, {
        method: "DELETE",
        client: http,
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      http.close();
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fake.jobs().length, 0);
    assert.equal(fake.pods()[0].status?.phase, "Running");
    assert.equal(fake.runningPids().length, 1);
  });
});

Deno.test("createKubeClient: followLog streams output as it is written, to the end", async () => {
  await withCluster(async (fake, client) => {
    // Containers run in fake.dir: the test says when to go on by making a file there.
    await client.createJob("default", job("talk", `echo first; ${GATE}; echo second >&2`));
    const pod = await runningPod(client, "talk");
    const reader = (await client.followLog("default", pod, {})).getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "first\n");
    assert.equal(fake.runningPids().length, 1, "the container still runs");
    await Deno.writeTextFile(join(fake.dir, "go"), "");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += new TextDecoder().decode(r.value);
    }
    assert.equal(rest, "second\n");
    assert.ok(
      fake.requests.some((r) =>
        r.path === `/api/v1/namespaces/default/pods/${pod}/log?follow=true`
      ),
    );

    // A pod that never runs: the API answers 400 "waiting to start".
    await client.createJob(
      "default",
      job("stuck", "true", {
        template: {
          spec: {
            restartPolicy: "Never",
            nodeSelector: { "petit.test/unschedulable": "yes" },
            containers: [{ name: "task", image: "busybox" }],
          },
        },
      }),
    );
    let stuck = "";
    await waitFor("stuck unschedulable", async () => {
      const [p] = await client.listPods("default", "job-name=stuck");
      stuck = p?.metadata.name ?? "";
      return p?.status?.conditions?.some((c) => c.reason === "Unschedulable") ?? false;
    });
    const err = await rejection(client.followLog("default", stuck, { container: "task" }));
    assert.equal(err.status, 400);
    assert.match(err.message, /container "task" in pod ".*" is waiting to start/);
  });
});

Deno.test("createKubeClient: a dropped log stream fails after what came; resumes with sinceTime", async () => {
  await withCluster(async (fake, client) => {
    await client.createJob("default", job("drop", `echo one; ${GATE}; echo two`));
    const pod = await runningPod(client, "drop");
    fake.dropNextLogAfter(3);
    assert.deepEqual(await readToFailure(await client.followLog("default", pod, {})), {
      text: "one",
      failed: true,
    });
    await new Promise((r) => setTimeout(r, 5));
    const sinceTime = new Date().toISOString();
    await Deno.writeTextFile(join(fake.dir, "go"), "");
    const rest = await readAll(await client.followLog("default", pod, { sinceTime }));
    assert.equal(rest, "two\n");
    assert.ok(
      fake.requests.some((r) => r.path.includes(`&sinceTime=${encodeURIComponent(sinceTime)}`)),
    );
  });
});

Deno.test("createKubeClient: aborting followLog's signal stops the stream", async () => {
  await withCluster(async (_fake, client) => {
    await client.createJob("default", job("quiet", "echo start; sleep 30"));
    const pod = await runningPod(client, "quiet");
    const abort = new AbortController();
    const stream = await client.followLog("default", pod, { signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    const t0 = Date.now();
    assert.deepEqual(await readToFailure(stream), { text: "start\n", failed: true });
    assert.ok(Date.now() - t0 < 2000);
  });
});
