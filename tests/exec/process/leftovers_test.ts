/**
 * Processes a run leaves behind: a task that detaches a daemon (`setsid`, a double fork)
 * and exits; when the run ends the daemon is found by its PETIT_RUN_ID and terminated.
 * Real subprocesses, no store.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CommandTaskBuilder, DagBuilder, JobBuilder } from "../../../src/core/builders.ts";
import { EventBus } from "../../../src/events/bus.ts";
import { findRunProcessGroups, terminateLeftovers } from "../../../src/exec/process/mod.ts";
import { executeRun } from "../../../src/exec/runner.ts";

/** Whether `pid` is a live process (a zombie counts as gone), asked of `ps`. */
async function alive(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return out.success && stat !== "" && !stat.startsWith("Z");
}

async function waitFile(path: string, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await Deno.readTextFile(path).catch(() => "");
    if (text.trim() !== "") return Number(text.trim());
    if (Date.now() > deadline) throw new Error(`no pid in ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/** A one-task job whose shell script is `script`. */
function shellJob(id: string, script: string) {
  const task = new CommandTaskBuilder("t", "sh").args(["-c", script]).build();
  return new JobBuilder(id, id, new DagBuilder(id).addTask(task).build()).build();
}

Deno.test("executeRun: daemons a task detached are terminated when the run ends", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-leftovers-" });
  const pids: number[] = [];
  try {
    // One daemon through setsid, one through a double fork out of its own new session, and
    // one that TERM does not stop (SIGKILL after the grace).
    const job = shellJob(
      "daemons",
      `setsid sh -c 'echo $$ > ${dir}/a; exec sleep 300' < /dev/null > /dev/null 2>&1 &
       (setsid sh -c '(sleep 300 & echo $! > ${dir}/b) ' &) < /dev/null > /dev/null 2>&1
       setsid sh -c 'trap "" TERM; echo $$ > ${dir}/c; while :; do sleep 1; done' \\
         < /dev/null > /dev/null 2>&1 &
       while [ ! -s ${dir}/a ] || [ ! -s ${dir}/b ] || [ ! -s ${dir}/c ]; do sleep 0.02; done`,
    );
    const runId = `r${crypto.randomUUID().slice(0, 8)}`;
    const result = await executeRun({
      job,
      runId,
      trigger: "manual",
      bus: new EventBus(),
      killGraceMs: 300,
    });
    for (const f of ["a", "b", "c"]) pids.push(await waitFile(`${dir}/${f}`));
    assert.equal(result.status, "completed", result.error ?? "");
    assert.equal(result.leftoverGroups, 3);
    for (const pid of pids) assert.equal(await alive(pid), false, `daemon ${pid} survived the run`);
  } finally {
    pids.forEach(killQuietly);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("executeRun: a daemon that clears PETIT_RUN_ID is not found (and not touched)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-leftovers-" });
  let pid = 0;
  try {
    const job = shellJob(
      "keeper",
      `env -u PETIT_RUN_ID setsid sh -c 'echo $$ > ${dir}/k; exec sleep 300' \\
         < /dev/null > /dev/null 2>&1 &
       while [ ! -s ${dir}/k ]; do sleep 0.02; done`,
    );
    const result = await executeRun({
      job,
      runId: `r${crypto.randomUUID().slice(0, 8)}`,
      trigger: "manual",
      bus: new EventBus(),
    });
    pid = await waitFile(`${dir}/k`);
    assert.equal(result.leftoverGroups, 0);
    assert.equal(await alive(pid), true, "a process without the variable is out of reach");
  } finally {
    if (pid > 0) killQuietly(pid);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("terminateLeftovers: runs ending together each get their own groups, once", async () => {
  const ids = [1, 2, 3].map((i) => `r${i}-${crypto.randomUUID().slice(0, 8)}`);
  const children = ids.map((id) =>
    new Deno.Command("setsid", {
      args: ["sleep", "300"],
      env: { PATH: "/usr/bin:/bin", PETIT_RUN_ID: id },
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  try {
    await new Promise((r) => setTimeout(r, 100)); // setsid has exec'd sleep
    const found = await findRunProcessGroups(new Set(ids));
    assert.deepEqual(ids.map((id) => found.get(id)), children.map((c) => [c.pid]));
    const counts = await Promise.all(ids.map((id) => terminateLeftovers(id, 500)));
    assert.deepEqual(counts, [1, 1, 1]);
    for (const c of children) assert.equal((await c.status).signal, "SIGTERM");
    assert.equal(await terminateLeftovers(ids[0], 500), 0, "nothing left the second time");
  } finally {
    for (const c of children) {
      killQuietly(c.pid);
      await c.status;
    }
  }
});
