import assert from "node:assert/strict";
import { findRunProcessGroups } from "../../src/exec/process/mod.ts";
import { recoverRuns } from "../../src/scheduler/recovery.ts";
import { InMemoryStorage } from "../../src/storage/memory.ts";

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
