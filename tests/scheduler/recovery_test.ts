import assert from "node:assert/strict";
import { deleteJobsOfRuns } from "../../src/exec/kube/cluster.ts";
import { buildKubeJob, randomSuffix } from "../../src/exec/kube/manifest.ts";
import { findRunProcessGroups } from "../../src/exec/process/mod.ts";
import { recoverRuns } from "../../src/scheduler/recovery.ts";
import { InMemoryStorage } from "../../src/storage/memory.ts";
import { openFakeCluster } from "../exec/attempt/kube_harness.ts";

function alive(pid: number): boolean {
  const out = new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).outputSync();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return stat !== "" && !stat.startsWith("Z");
}

Deno.test("a crashed run's processes are found by PETIT_RUN_ID even with no pgid recorded", async () => {
  const runId = `r${crypto.randomUUID().slice(0, 8)}`;
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", "sleep 300 & echo $! ; sleep 300"],
    env: { PETIT_RUN_ID: runId },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const grandchild = Number(new TextDecoder().decode((await reader.read()).value).trim());
  reader.releaseLock();
  try {
    assert.deepEqual(await findRunProcessGroups(new Set([runId])), new Map([[runId, [child.pid]]]));
    assert.deepEqual(await findRunProcessGroups(new Set(["someone-else"])), new Map());

    // The store saw the run start but not the task's process group (a crash inside the
    // write batch): recovery still terminates the processes.
    const storage = new InMemoryStorage();
    storage.insertRun({
      id: runId,
      job_id: "j",
      status: "running",
      trigger: "schedule",
      reason: null,
      scheduled_for: null,
      started_at: Date.now(),
      ended_at: null,
      duration_ms: null,
      error: null,
      retry_of: null,
      owner: "1:epoch:0",
    });
    storage.upsertTaskRun({
      run_id: runId,
      task_id: "t",
      status: "running",
      attempts: 1,
      started_at: Date.now(),
      ended_at: null,
      duration_ms: null,
      exit_code: null,
      error: null,
      pgid: null,
      proc_start: null,
    });
    const recovered = await recoverRuns(storage, { killGraceMs: 500 });
    assert.deepEqual(recovered.map((r) => r.id), [runId]);
    assert.equal(storage.getRun(runId)?.status, "interrupted");
    assert.equal(storage.listTaskRuns(runId)[0].error, "interrupted");
    await child.status;
    const deadline = Date.now() + 5000;
    while (alive(grandchild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(grandchild), false, "the grandchild is gone");
  } finally {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
});

/** A store with one run left `running` by a dead owner. */
function crashedRun(runId: string): InMemoryStorage {
  const storage = new InMemoryStorage();
  storage.insertRun({
    id: runId,
    job_id: "j",
    status: "running",
    trigger: "schedule",
    reason: null,
    scheduled_for: null,
    started_at: Date.now(),
    ended_at: null,
    duration_ms: null,
    error: null,
    retry_of: null,
    owner: "1:epoch:0",
  });
  return storage;
}

/** The Job Petit would make for a task of `runId` that sleeps. */
function sleeper(runId: string, taskId: string) {
  return buildKubeJob({
    jobId: "j",
    runId,
    taskId,
    attempt: 1,
    suffix: randomSuffix(),
    image: "busybox",
    command: ["sleep", "30"],
    args: [],
    env: {},
    spec: {
      namespace: null,
      requests: {},
      limits: {},
      nodeSelector: {},
      serviceAccount: null,
      imagePullPolicy: null,
    },
    timeoutMs: null,
    killGraceMs: 1000,
  });
}

Deno.test("recoverRuns: cleanupRemote deletes the Kubernetes Jobs of interrupted runs only", async () => {
  const { fake, client } = await openFakeCluster();
  try {
    await client.createJob("default", sleeper("crashed", "a"));
    await client.createJob("other", sleeper("crashed", "b"));
    await client.createJob("default", sleeper("alive", "c"));
    const deadline = Date.now() + 5000;
    while (fake.runningPids().length < 3) {
      assert.ok(Date.now() < deadline, "the three containers run");
      await new Promise((r) => setTimeout(r, 20));
    }
    const calls: string[][] = [];
    const recovered = await recoverRuns(crashedRun("crashed"), {
      cleanupRemote: async (ids) => {
        calls.push([...ids]);
        await deleteJobsOfRuns(client, ids);
      },
    });
    assert.deepEqual(recovered.map((r) => r.id), ["crashed"]);
    assert.deepEqual(calls, [["crashed"]]);
    assert.deepEqual(
      fake.deletes.map((d) => [d.kind, d.namespace, d.propagationPolicy]).sort(),
      [["Job", "default", "Background"], ["Job", "other", "Background"]],
    );
    assert.deepEqual(fake.jobs().map((j) => j.metadata.labels?.["petit.dev/run"]), ["alive"]);
    while (fake.runningPids().length > 1) {
      assert.ok(Date.now() < deadline, "the crashed run's containers are stopped");
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    client.close();
    await fake.close();
  }
});

Deno.test("recoverRuns: a clean-up that hangs does not hold start-up; none without crashed runs", async () => {
  let called = 0;
  const hang = () => {
    called++;
    return new Promise<void>(() => {});
  };
  const started = Date.now();
  await recoverRuns(crashedRun("r1"), { cleanupRemote: hang, remoteWaitMs: 100 });
  assert.equal(called, 1);
  assert.ok(Date.now() - started < 2000);
  await recoverRuns(new InMemoryStorage(), { cleanupRemote: hang });
  assert.equal(called, 1);
  // A rejection is the clean-up's own business (it logs): recovery goes on.
  await recoverRuns(crashedRun("r2"), { cleanupRemote: () => Promise.reject(new Error("x")) });
});
