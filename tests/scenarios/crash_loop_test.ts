/**
 * `pt run` killed with SIGKILL at random moments and restarted, a few times in a row, with
 * an every-second job that catches up and whose tasks outlive the kill: afterwards the
 * database is intact, no slot ran or was recorded twice, no task process is left, every
 * run is final and no scratch folder remains. `PETIT_CRASH_CYCLES` sets the number of
 * kills (default 3, for CI; run more by hand).
 *
 * @module
 */

import assert from "node:assert/strict";
import { alive, lines, query, runs, sleep, waitUntil, withSandbox } from "./helpers.ts";

const CYCLES = Number(Deno.env.get("PETIT_CRASH_CYCLES") ?? 3);

Deno.test("pt run killed -9 at random moments and restarted: intact, once, nothing left", async () => {
  await withSandbox(async (sb) => {
    const file = `${sb.dir}/ran.txt`;
    await sb.job(
      "loop",
      `id: loop
schedule: "* * * * * *"
catchup: all
catchup_limit: 3
tasks:
  - id: t
    type: shell
    script: 'echo "$PETIT_SCHEDULED_FOR $$" >> ${file}; sleep 30'
`,
    );
    const delays: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const pt = sb.run();
      await pt.ready();
      const delay = 200 + Math.floor(Math.random() * 2300);
      delays.push(delay);
      await sleep(delay);
      pt.signal("SIGKILL");
      const exit = await pt.exited;
      assert.equal(exit.signal, "SIGKILL", `cycle ${i}: ${exit.stderr}`);
    }
    const last = sb.run(["--grace", "1"]);
    await last.ready();
    await sleep(1500);
    const exit = await last.stop();
    const seen = `kills after ${delays.join(", ")} ms\n${exit.stderr}`;
    assert.equal(exit.code, 0, seen);

    const [check] = query(sb.db, "PRAGMA integrity_check");
    assert.equal(check.integrity_check, "ok", seen);
    const rows = runs(sb.db, "loop");
    assert.deepEqual(rows.filter((r) => r.status === "running"), [], `runs left running; ${seen}`);
    const slots = rows.map((r) => r.scheduled_for);
    assert.equal(new Set(slots).size, slots.length, `a slot recorded twice; ${seen}`);
    const ran = (await lines(file)).map((l) => l.split(" "));
    const ranSlots = ran.map(([slot]) => slot);
    assert.equal(new Set(ranSlots).size, ranSlots.length, `a slot ran twice; ${seen}`);
    const recorded = new Set(rows.map((r) => new Date(r.scheduled_for!).toISOString()));
    for (const slot of ranSlots) assert.ok(recorded.has(slot), `slot ${slot} ran unclaimed`);
    assert.ok(ran.length >= CYCLES, `only ${ran.length} slots ran; ${seen}`);
    assert.ok(rows.some((r) => r.status === "interrupted"), `no run was interrupted; ${seen}`);

    // Tasks sleep 30 s: only recovery (after a kill) or cancellation (at the end) stop them.
    const pids = ran.map(([, pid]) => Number(pid));
    for (const pid of pids) sb.track(pid, true);
    await waitUntil("every task process to be gone", async () => {
      for (const pid of pids) if (await alive(pid)) return false;
      return true;
    }, 10_000);
    const scratch: string[] = [];
    for await (const e of Deno.readDir(sb.dir)) {
      if (e.name.startsWith("petit-")) scratch.push(e.name);
    }
    assert.deepEqual(scratch, [], "scratch folders of crashed runs are removed");
  });
});
