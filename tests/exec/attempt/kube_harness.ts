/**
 * What the tests of Kubernetes tasks share: a fake API server (`tests/exec/kube/
 * fake_api_server.ts`) over mutual TLS with the client certificate of its kubeconfig, the
 * attempt with short timings, jobs from YAML run through the DAG runner or one attempt at a
 * time, and the check that nothing is left on the cluster.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError } from "../../../src/config/errors.ts";
import { loadJobTexts } from "../../../src/config/loader/mod.ts";
import type { JobSpec } from "../../../src/core/model.ts";
import { EventBus } from "../../../src/events/bus.ts";
import type { PetitEvent } from "../../../src/events/types.ts";
import {
  type AttemptContext,
  type AttemptResult,
  kubernetesAttempt,
  runAttemptByType,
} from "../../../src/exec/attempt/mod.ts";
import { createKubeClient } from "../../../src/exec/kube/client.ts";
import { resolveClusterAccess } from "../../../src/exec/kube/kubeconfig.ts";
import type { KubeClient, KubePod } from "../../../src/exec/kube/types.ts";
import { executeRun, type RunResult } from "../../../src/exec/runner.ts";
import { scaled } from "../../time_scale.ts";
import { type FakeCluster, startFakeCluster } from "../kube/fake_api_server.ts";

/** The attempt with timings for a fake whose steps take 20 ms. */
export const attempt = kubernetesAttempt({
  pollMinMs: 20,
  pollMaxMs: 100,
  unschedulableGraceMs: 400,
  logSettleMs: 300,
  podsGoneMarginMs: 3000,
});

/**
 * A fake cluster and a client of its kubeconfig (quick retries); both closed after `fn`,
 * which must leave nothing on the cluster (`jobsDeleted: false` when no Job was made).
 */
export async function withCluster(
  fn: (fake: FakeCluster, client: KubeClient) => Promise<void>,
  options: { readonly jobsDeleted?: boolean } = {},
) {
  const { fake, client } = await openFakeCluster();
  try {
    await fn(fake, client);
    assertCleanedUp(fake, options.jobsDeleted ?? true);
  } finally {
    client.close();
    await fake.close();
  }
}

/**
 * No Job, pod, Secret or container process is left, and every Job was deleted with
 * Background (at least one, when `jobsDeleted`).
 */
export function assertCleanedUp(fake: FakeCluster, jobsDeleted = true): void {
  assert.deepEqual(fake.jobs().map((j) => j.metadata.name), []);
  assert.deepEqual(fake.pods().map((p) => p.metadata.name), []);
  assert.deepEqual(fake.secrets().map((s) => s.metadata.name), []);
  assert.deepEqual(fake.runningPids(), []);
  const jobDeletes = fake.deletes.filter((d) => d.kind === "Job");
  if (jobsDeleted) assert.ok(jobDeletes.length > 0, "the Job was deleted");
  for (const d of jobDeletes) assert.equal(d.propagationPolicy, "Background", d.name);
}

/** A fake cluster and a client of its kubeconfig, with quick retries; the caller closes both. */
export async function openFakeCluster(): Promise<{ fake: FakeCluster; client: KubeClient }> {
  const fake = await startFakeCluster();
  const access = await resolveClusterAccess({
    kubeconfig: fake.kubeconfigPath,
    context: null,
    namespace: null,
  });
  return { fake, client: createKubeClient(access, { retryBaseMs: 10 }) };
}

/** The job of a YAML text (it must be valid), its file in this folder. */
export function jobOf(yaml: string): JobSpec {
  const loaded = loadJobTexts([{ file: join(Deno.cwd(), "job.yaml"), text: yaml }]);
  assert.deepEqual(loaded.errors.map(formatConfigError), []);
  return loaded.jobs[0];
}

/** Runs a job's DAG with Kubernetes tasks on `client`; returns the result and the events. */
export async function runYaml(
  client: KubeClient,
  yaml: string,
  signal?: AbortSignal,
): Promise<{ result: RunResult; events: PetitEvent[] }> {
  const bus = new EventBus();
  const events: PetitEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const result = await executeRun({
    job: jobOf(yaml),
    runId: "r1",
    trigger: "manual",
    bus,
    signal,
    kubernetes: () => Promise.resolve(client),
    runAttempt: (task, ctx) => task.kubernetes ? attempt(task, ctx) : runAttemptByType(task, ctx),
  });
  return { result, events };
}

/** One attempt of the first task of a YAML job, with `extra` in its context. */
export async function runOnce(
  yaml: string,
  extra: Partial<AttemptContext> = {},
): Promise<AttemptResult> {
  const job = jobOf(yaml);
  return await attempt(job.tasks[0], {
    job,
    runId: "r1",
    attempt: 1,
    templates: { jobId: job.id, runId: "r1", config: job.config, tasks: new Map() },
    baseEnv: () => ({}),
    runDir: Deno.cwd(),
    outputFile: join(Deno.cwd(), "no-such-output-file"),
    scheduledFor: null,
    timeoutMs: job.tasks[0].timeoutMs,
    killGraceMs: 1000,
    started: () => {},
    ...extra,
  });
}

/** A task of `type: kubernetes` running `script` under sh, with more YAML lines. */
export function task(script: string, ...lines: string[]): string {
  return [
    "id: job",
    "tasks:",
    "  - id: k",
    "    type: kubernetes",
    "    image: busybox:1.36",
    `    command: [sh, -c, ${JSON.stringify(script)}]`,
    ...lines.map((l) => `    ${l}`),
  ].join("\n") + "\n";
}

/** Waits until a pod runs; returns it. */
export async function runningPod(fake: FakeCluster): Promise<KubePod> {
  const deadline = Date.now() + scaled(5000);
  for (;;) {
    const pod = fake.pods().find((p) => p.status?.phase === "Running");
    if (pod) return pod;
    assert.ok(Date.now() < deadline, "no pod started running");
    await new Promise((r) => setTimeout(r, 10));
  }
}
