/**
 * The fake cluster's own behaviour that Petit's Kubernetes tasks are tested against (through
 * Petit's client): the faults by spec (an image that never pulls, a pod that never
 * schedules, an eviction), `activeDeadlineSeconds`, `generateName`, the container's env,
 * log timestamps, a Foreground deletion, and the manifests the real API server refuses.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createKubeClient } from "../../../src/exec/kube/client.ts";
import { KubeApiError } from "../../../src/exec/kube/errors.ts";
import type { ContainerSpec, KubeClient, KubeJob, KubePod } from "../../../src/exec/kube/types.ts";
import { type FakeCluster, startFakeCluster } from "./fake_api_server.ts";
import { rest } from "./fake/rest_client.ts";

async function withCluster(fn: (fake: FakeCluster, client: KubeClient) => Promise<void>) {
  const fake = await startFakeCluster({ stepMs: 10 });
  const client = createKubeClient({
    server: fake.url,
    caCert: fake.caCert,
    clientCert: fake.clientCert,
    clientKey: fake.clientKey,
    token: null,
    namespace: "default",
    source: "fake",
  }, { retries: 0 });
  try {
    await fn(fake, client);
  } finally {
    client.close();
    await fake.close();
  }
}

function job(name: string, container: Partial<ContainerSpec>, spec = {}): KubeJob {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: name.endsWith("-") ? { generateName: name } : { name },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "task", image: "alpine", ...container }],
        },
      },
    },
  };
}

/** Polls the pods of `jobName` until one satisfies `cond`. */
async function podWhere(
  client: KubeClient,
  jobName: string,
  cond: (p: KubePod) => boolean,
): Promise<KubePod> {
  const end = Date.now() + 3000;
  for (;;) {
    const pod = (await client.listPods("default", `job-name=${jobName}`)).find(cond);
    if (pod) return pod;
    if (Date.now() > end) throw new Error(`timed out waiting for a pod of ${jobName}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function jobWhere(client: KubeClient, name: string, type: string): Promise<KubeJob> {
  const end = Date.now() + 3000;
  for (;;) {
    const j = await client.getJob("default", name);
    if (j?.status?.conditions?.some((c) => c.type === type)) return j;
    if (Date.now() > end) throw new Error(`timed out waiting for ${name} ${type}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("startFakeCluster: an image with pull-error never runs", async () => {
  await withCluster(async (fake, client) => {
    await client.createJob("default", job("pull", { image: "registry.lan/app:pull-error" }));
    const pod = await podWhere(
      client,
      "pull",
      (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === "ImagePullBackOff",
    );
    assert.equal(pod.status?.phase, "Pending");
    assert.match(
      pod.status?.containerStatuses?.[0].state?.waiting?.message ?? "",
      /Back-off pulling image/,
    );
    assert.deepEqual(fake.runningPids(), []);
  });
});

Deno.test("startFakeCluster: an unschedulable pod stays Pending with the scheduler's reason", async () => {
  await withCluster(async (_fake, client) => {
    const spec = job("nowhere", {});
    await client.createJob("default", {
      ...spec,
      spec: {
        ...spec.spec,
        template: {
          spec: {
            ...spec.spec.template.spec,
            nodeSelector: { "petit.test/unschedulable": "true" },
          },
        },
      },
    });
    const pod = await podWhere(
      client,
      "nowhere",
      (p) => p.status?.conditions?.some((c) => c.reason === "Unschedulable") ?? false,
    );
    assert.equal(pod.status?.phase, "Pending");
    assert.match(pod.status?.conditions?.[0].message ?? "", /^0\/1 nodes are available/);
  });
});

Deno.test("startFakeCluster: an evicted pod fails its Job and its process dies", async () => {
  await withCluster(async (fake, client) => {
    await client.createJob("default", job("evicted", { command: ["sleep", "30"] }));
    const pod = await podWhere(client, "evicted", (p) => p.status?.phase === "Running");
    fake.evict(pod.metadata.name!);
    const failed = await jobWhere(client, "evicted", "Failed");
    assert.equal(failed.status?.failed, 1);
    const [after] = await client.listPods("default", "job-name=evicted");
    assert.equal(after.status?.phase, "Failed");
    assert.equal(after.status?.reason, "Evicted");
    assert.equal(after.status?.containerStatuses?.[0].state?.terminated?.exitCode, 137);
    assert.deepEqual(fake.runningPids(), []);
  });
});

Deno.test("startFakeCluster: activeDeadlineSeconds fails the Job and stops its pod", async () => {
  await withCluster(async (fake, client) => {
    await client.createJob(
      "default",
      job("late", { command: ["sleep", "30"] }, { activeDeadlineSeconds: 0.3 }),
    );
    const failed = await jobWhere(client, "late", "Failed");
    assert.equal(failed.status?.conditions?.[0].reason, "DeadlineExceeded");
    const end = Date.now() + 3000;
    while (fake.pods().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(fake.pods(), []);
  });
});

Deno.test("startFakeCluster: generateName, env and log timestamps", async () => {
  await withCluster(async (fake, client) => {
    const made = await client.createJob(
      "default",
      job("gen-", {
        command: ["sh", "-c", 'echo "$A-$B"'],
        env: [{ name: "A", value: "x" }, { name: "B", value: "y" }],
      }),
    );
    assert.match(made.metadata.name!, /^gen-[a-z0-9]{5}$/);
    await jobWhere(client, made.metadata.name!, "Complete");
    const [pod] = await client.listPods("default", `job-name=${made.metadata.name}`);
    const http = Deno.createHttpClient({ caCerts: [fake.caCert] });
    try {
      const res = await fetch(
        `${fake.url}/api/v1/namespaces/default/pods/${pod.metadata.name}/log?timestamps=true`,
        { client: http, headers: { Authorization: `Bearer ${fake.token}` } },
      );
      assert.match(await res.text(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z x-y\n$/);
    } finally {
      http.close();
    }
  });
});

Deno.test("startFakeCluster: Foreground deletion keeps the Job until its pods are gone", async () => {
  await withCluster(async (fake, client) => {
    await client.createJob("default", job("fg", { command: ["sleep", "30"] }));
    await podWhere(client, "fg", (p) => p.status?.phase === "Running");
    const http = Deno.createHttpClient({ caCerts: [fake.caCert] });
    try {
      const res = await fetch(`${fake.url}/apis/batch/v1/namespaces/default/jobs/fg`, {
        method: "DELETE",
        client: http,
        headers: { Authorization: `Bearer ${fake.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ kind: "DeleteOptions", propagationPolicy: "Foreground" }),
      });
      const answer = await res.json();
      assert.equal(answer.kind, "Job");
      assert.deepEqual(answer.metadata.finalizers, ["foregroundDeletion"]);
    } finally {
      http.close();
    }
    const end = Date.now() + 3000;
    while (fake.jobs().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual([fake.jobs(), fake.pods(), fake.runningPids()], [[], [], []]);
    assert.equal(fake.deletes[0].propagationPolicy, "Foreground");
  });
});

Deno.test("startFakeCluster: manifests the real API refuses are refused", async () => {
  await withCluster(async (_fake, client) => {
    const refused = async (j: KubeJob, re: RegExp) => {
      const err = await client.createJob("default", j).then(() => null, (e) => e);
      assert.ok(err instanceof KubeApiError);
      assert.equal(err.status, 422);
      assert.match(err.message, re);
    };
    const base = job("ok-name", {});
    await refused(
      { ...base, metadata: { name: "x", labels: { "petit.dev/task": "a:b" } } },
      /metadata\.labels: Invalid value: "a:b"/,
    );
    await refused(job("x".repeat(64), {}), /must be no more than 63 characters/);
    await refused(job("bad-container", { name: "Task_1" }), /containers\[0\]\.name: Invalid value/);
    await refused(
      {
        ...base,
        spec: {
          ...base.spec,
          template: { spec: { ...base.spec.template.spec, restartPolicy: "Always" as "Never" } },
        },
      },
      /restartPolicy: Unsupported value: "Always"/,
    );
  });
});

Deno.test("startFakeCluster: a container reads a secretKeyRef, and waits for a missing one", async () => {
  await withCluster(async (fake, client) => {
    const env = [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "tok", key: "token" } } }];
    await client.createJob(
      "default",
      job("tok", { command: ["sh", "-c", 'echo "[$TOKEN]"'], env }),
    );
    const waiting = (message: string) => (p: KubePod) =>
      p.status?.containerStatuses?.[0].state?.waiting?.message === message;
    let pod = await podWhere(client, "tok", waiting('secret "tok" not found'));
    assert.equal(
      pod.status?.containerStatuses?.[0].state?.waiting?.reason,
      "CreateContainerConfigError",
    );
    assert.equal(pod.status?.phase, "Pending");
    assert.deepEqual(fake.runningPids(), []);
    await rest(fake, "POST", "/api/v1/namespaces/default/secrets", {
      metadata: { name: "tok" },
      stringData: { other: "x" },
    });
    pod = await podWhere(client, "tok", waiting("couldn't find key token in Secret default/tok"));
    assert.equal(pod.status?.phase, "Pending");
    const logs = `/api/v1/namespaces/default/pods/${pod.metadata.name}/log`;
    assert.match(
      (await rest(fake, "GET", logs)).json.message,
      /is waiting to start: CreateContainerConfigError$/,
    );
    await rest(
      fake,
      "PATCH",
      "/api/v1/namespaces/default/secrets/tok",
      { stringData: { token: "s3cr3t" } },
      "application/merge-patch+json",
    );
    await jobWhere(client, "tok", "Complete");
    const http = Deno.createHttpClient({ caCerts: [fake.caCert] });
    try {
      const res = await fetch(`${fake.url}${logs}`, {
        client: http,
        headers: { Authorization: `Bearer ${fake.token}` },
      });
      assert.equal(await res.text(), "[s3cr3t]\n");
    } finally {
      http.close();
    }
  });
});

Deno.test("startFakeCluster: env entries are checked as the real API checks them", async () => {
  await withCluster(async (fake) => {
    const refused = async (e: Record<string, unknown>, re: RegExp) => {
      const res = await rest(
        fake,
        "POST",
        "/apis/batch/v1/namespaces/default/jobs",
        job("envs", {
          env: [e] as unknown as ContainerSpec["env"],
        }),
      );
      assert.equal(res.status, 422, JSON.stringify(e));
      assert.match(res.json.message, re);
    };
    const ref = { name: "s", key: "k" };
    await refused(
      { name: "A", value: "x", valueFrom: { secretKeyRef: ref } },
      /env\[0\]\.valueFrom: Invalid value: "": may not be specified when `value` is not empty/,
    );
    await refused(
      { name: "A", valueFrom: {} },
      /valueFrom: Invalid value: "": must specify one of/,
    );
    await refused(
      { name: "A", valueFrom: { secretKeyRef: { name: "s" } } },
      /valueFrom\.secretKeyRef\.key: Required value/,
    );
    await refused(
      { name: "A", valueFrom: { secretKeyRef: { name: "S!", key: "k" } } },
      /valueFrom\.secretKeyRef\.name: Invalid value: "S!"/,
    );
    const ok = await rest(
      fake,
      "POST",
      "/apis/batch/v1/namespaces/default/jobs",
      job("envs", {
        env: [{ name: "A", valueFrom: { secretKeyRef: ref } }, { name: "B" } as never],
      }),
    );
    assert.equal(ok.status, 201);
  });
});
