/**
 * `pt run` with its database on a small tmpfs that fills up and then gets space back: no
 * slot runs without a committed claim, no run stays `running` once it completed, no slot is
 * recorded twice, and the log says it once each way. Needs to mount a tmpfs (root); the
 * test is skipped where that is not allowed — tests/scheduler/scheduler_test.ts covers the
 * same through SQLite's `max_page_count`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { lines, query, runs, sleep, slotJob, withSandbox } from "./helpers.ts";

/** Runs a program to its end; whether it succeeded. */
function run(program: string, args: string[]): boolean {
  try {
    return new Deno.Command(program, { args, stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Whether this machine lets us mount a tmpfs (tried once on a scratch folder). */
const CAN_MOUNT = (() => {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const dir = Deno.makeTempDirSync({ prefix: "petit-mount-probe-" });
  try {
    if (!run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])) return false;
    run("umount", [dir]);
    return true;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
})();

/** Writes zeros into `path` until the filesystem is full. */
async function fillUp(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  try {
    for (const size of [65536, 4096, 512, 1]) {
      const chunk = new Uint8Array(size);
      for (;;) {
        try {
          await file.write(chunk);
        } catch {
          break; // ENOSPC: try smaller chunks
        }
      }
    }
  } finally {
    file.close();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

Deno.test({
  name: "pt run on a full disk: no slot runs unclaimed, every run final once space is back",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await withSandbox(async (sb) => {
      const disk = `${sb.dir}/disk`;
      await Deno.mkdir(disk);
      assert.ok(run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]), "mount");
      try {
        const file = `${sb.dir}/ran.txt`; // outside the full disk: tasks themselves work
        await sb.job(
          "tick",
          slotJob("tick", file).replace(`>> ${file}'`, `>> ${file}; sleep 1.2'`),
        );
        const db = `${disk}/petit.db`;
        const pt = sb.pt(["run", sb.jobs, "--db", db, "--no-api"]);
        await pt.ready();
        await sleep(2500);
        await fillUp(`${disk}/filler`);
        await sleep(4000);
        await Deno.remove(`${disk}/filler`); // space is back
        await sleep(4000);
        const exit = await pt.stop();
        assert.equal(exit.code, 0, exit.stderr);

        const count = (re: RegExp) => exit.stderr.split("\n").filter((l) => re.test(l)).length;
        assert.equal(count(/ERROR .*the database refuses writes/), 1, exit.stderr);
        assert.equal(count(/INFO .*the database takes writes again/), 1, exit.stderr);
        assert.doesNotMatch(exit.stderr, /event handler failed|no run |Uncaught/);

        const [check] = query(db, "PRAGMA integrity_check");
        assert.equal(check.integrity_check, "ok");
        const rows = runs(db, "tick");
        assert.deepEqual(rows.filter((r) => r.status === "running"), [], "runs left running");
        const slots = rows.map((r) => r.scheduled_for);
        assert.equal(new Set(slots).size, slots.length, "a slot recorded twice");
        const notRun = rows.filter((r) => r.reason?.startsWith("storage:"));
        assert.ok(notRun.length >= 1, "slots fired while full are recorded as not run");
        assert.equal(count(/WARN .*slot skipped: storage:/), notRun.length);

        // Every slot whose task ran has its claim, and the run is recorded as completed.
        const ran = await lines(file);
        assert.equal(new Set(ran).size, ran.length, `a slot ran twice: ${ran.join(", ")}`);
        const bySlot = new Map(rows.map((r) => [iso(r.scheduled_for!), r]));
        for (const slot of ran) {
          assert.equal(bySlot.get(slot)?.status, "completed", `slot ${slot} ran`);
        }
        assert.ok(ran.length >= 5, `only ${ran.length} slots ran`);
        for (const r of notRun) assert.ok(!ran.includes(iso(r.scheduled_for!)));
      } finally {
        run("umount", ["-l", disk]);
      }
    });
  },
});
