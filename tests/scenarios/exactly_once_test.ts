/**
 * Each slot runs at most once: across a restart, with two `pt run` on one database, and
 * through each catch-up policy after a stop; `pt why` shows what happened to each slot.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadJobsDir } from "../../src/config/loader/mod.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { SqliteStorage } from "../../src/storage/sqlite/mod.ts";
import {
  concurrently,
  lines,
  type RunRow,
  runs,
  Sandbox,
  sleep,
  slotJob,
  stdoutOf,
  step,
  withSandbox,
} from "./helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** Fired (not skipped) slots of `rows`. */
function firedSlots(rows: readonly RunRow[]): number[] {
  return rows.filter((r) => r.status !== "skipped").map((r) => r.scheduled_for!);
}

/** Asserts the slot records are distinct whole seconds with no gap from the first to the last. */
function assertContiguous(rows: readonly RunRow[]): void {
  const slots = rows.map((r) => r.scheduled_for!).sort((a, b) => a - b);
  assert.equal(new Set(slots).size, slots.length, "a slot recorded twice");
  for (let i = 1; i < slots.length; i++) {
    assert.equal(slots[i] - slots[i - 1], 1000, `gap or duplicate at ${iso(slots[i])}`);
  }
}

/** Asserts each fired slot's task ran exactly once (the tasks append their slot to `file`). */
async function assertRanOnce(file: string, rows: readonly RunRow[]): Promise<void> {
  const ran = await lines(file);
  assert.equal(new Set(ran).size, ran.length, `a slot ran twice: ${ran.join(", ")}`);
  assert.deepEqual(ran.toSorted(), firedSlots(rows).sort((a, b) => a - b).map(iso));
}

async function restart(): Promise<void> {
  await withSandbox(async (sb) => {
    const file = `${sb.dir}/ran.txt`;
    await sb.job("once", slotJob("once", file, "catchup: all"));
    const first = sb.run();
    await first.ready();
    await sleep(3000);
    assert.equal((await first.stop()).code, 0);
    const second = sb.run();
    await second.ready();
    await sleep(3000);
    const exit = await second.stop();
    assert.equal(exit.code, 0, exit.stderr);

    const rows = runs(sb.db, "once");
    assert.ok(rows.length >= 5, `expected ≥ 5 slots in 6 s, got ${rows.length}`);
    // Catch-up "all" fills the restart gap, and no slot (fired or caught up) ran twice.
    assert.ok(rows.every((r) => r.status === "completed"), JSON.stringify(rows));
    assertContiguous(rows);
    await assertRanOnce(file, rows);
    assert.equal(new Set(rows.map((r) => r.owner)).size, 2, "both processes fired slots");
  });
}

async function twoSchedulers(): Promise<void> {
  await withSandbox(async (sb) => {
    const file = `${sb.dir}/ran.txt`;
    await sb.job("both", slotJob("both", file));
    const a = sb.run(["-v"]);
    const b = sb.run(["-v"]);
    await Promise.all([a.ready(), b.ready()]);
    await sleep(3500);
    const [ea, eb] = await Promise.all([a.stop(), b.stop()]);
    assert.equal(ea.code, 0, ea.stderr);
    assert.equal(eb.code, 0, eb.stderr);

    const rows = runs(sb.db, "both");
    assert.ok(rows.length >= 3, `expected ≥ 3 slots, got ${rows.length}`);
    assertContiguous(rows);
    await assertRanOnce(file, rows);
    // Both tried the slots they shared; the losers' claims failed quietly.
    const claimed = (s: string) => s.match(/already claimed by another scheduler/g)?.length ?? 0;
    assert.ok(claimed(ea.stderr) + claimed(eb.stderr) >= 2, "the schedulers competed for slots");
    for (const e of [ea, eb]) {
      assert.doesNotMatch(e.stderr, /ERROR|SlotTaken|Uncaught|error:/);
    }
  });
}

/**
 * `pt run` killed (-9) by the task of its second fire, a few ms after the fire: the slot's
 * claim must already be committed, or the restart catches it up and runs it a second time.
 */
async function crashAfterFire(): Promise<void> {
  await withSandbox(async (sb) => {
    const file = `${sb.dir}/ran.txt`;
    await sb.job(
      "crashy",
      `id: crashy
schedule: "* * * * * *"
catchup: all
tasks:
  - id: t
    type: shell
    script: |
      echo "$PETIT_SCHEDULED_FOR" >> ${file}
      if [ "$(wc -l < ${file})" -eq 2 ] && [ ! -f ${sb.dir}/killed ]; then
        touch ${sb.dir}/killed
        kill -9 $PPID
      fi
`,
    );
    const first = sb.run();
    const killed = await first.exited;
    assert.equal(killed.signal, "SIGKILL", killed.stderr);
    const second = sb.run();
    await second.ready();
    await sleep(2200);
    assert.equal((await second.stop()).code, 0);
    const rows = runs(sb.db, "crashy");
    assert.ok(rows.length >= 4, JSON.stringify(rows));
    assertContiguous(rows);
    await assertRanOnce(file, rows);
    assert.equal(rows[1].status, "interrupted", "the killed fire was recovered, not run again");
  });
}

/** Runs `pt run` briefly, stops it for a few seconds, then runs it again. */
async function withGap(sb: Sandbox): Promise<string> {
  const first = sb.run();
  await first.ready();
  await sleep(2300);
  assert.equal((await first.stop()).code, 0);
  await sleep(4500); // ≥ 4 slots missed whatever the phase
  const second = sb.run();
  await second.ready();
  await sleep(1200);
  const exit = await second.stop();
  assert.equal(exit.code, 0, exit.stderr);
  return exit.stderr;
}

async function catchup(t: Deno.TestContext): Promise<void> {
  await withSandbox(async (sb) => {
    const echo = (id: string, more: string) =>
      sb.job(
        id,
        `id: ${id}
schedule: "* * * * * *"
${more}
tasks:
  - id: t
    type: shell
    script: 'echo "$PETIT_SCHEDULED_FOR"; echo "$PETIT_SCHEDULED_FOR" >> ${sb.dir}/${id}.txt'
`,
      );
    await echo("c_none", "catchup: none");
    await echo("c_last", "catchup: last");
    await echo("c_all", "catchup: all\ncatchup_limit: 3");
    const stderr = await withGap(sb);

    /** Records of the slots after the first process's last slot (per job). */
    const gap = (id: string) => {
      const rows = runs(sb.db, id);
      const last = Math.max(
        ...rows.filter((r) => r.owner === rows[0].owner).map((r) => r.scheduled_for!),
      );
      return { rows, after: rows.filter((r) => r.scheduled_for! > last), last };
    };
    const missedCount = (id: string) => {
      const m = stderr.match(
        new RegExp(`(\\d+) slot\\(s\\) missed while down; catchup \\w+: running \\d+ +job=${id}`),
      );
      assert.ok(m, `no catch-up line for ${id} in:\n${stderr}`);
      return Number(m[1]);
    };

    await step(t, "none: one skipped 'missed' record for the gap, nothing run", async () => {
      const { rows, after, last } = gap("c_none");
      const n = missedCount("c_none");
      assert.ok(n >= 3, `only ${n} slots missed`);
      const [skip, ...rest] = after;
      assert.equal(skip.status, "skipped");
      assert.match(skip.reason!, new RegExp(`^missed: ${n} slots while Petit was not running`));
      assert.equal(skip.scheduled_for, last + n * 1000, "recorded at the latest missed slot");
      assert.ok(rest.length >= 1 && rest.every((r) => r.status === "completed" && !r.reason));
      assert.equal(rest[0].scheduled_for, last + (n + 1) * 1000, "fires go on from now");
      await assertRanOnce(`${sb.dir}/c_none.txt`, rows);
    });

    await step(t, "last: the latest missed slot runs once, with PETIT_SCHEDULED_FOR", async () => {
      const { rows, after, last } = gap("c_last");
      const n = missedCount("c_last");
      const [skip, caught, ...rest] = after;
      assert.equal(skip.status, "skipped");
      assert.match(skip.reason!, new RegExp(`^missed: ${n - 1} slots? while`));
      assert.equal(skip.scheduled_for, last + (n - 1) * 1000);
      assert.equal(caught.status, "completed");
      assert.equal(caught.reason, "catch-up (catchup: last)");
      assert.equal(caught.scheduled_for, last + n * 1000);
      assert.equal(stdoutOf(sb.db, caught.id, "t").trim(), iso(caught.scheduled_for!));
      assert.ok(rest.every((r) => r.status === "completed" && r.reason === null));
      await assertRanOnce(`${sb.dir}/c_last.txt`, rows);
    });

    await step(t, "all + catchup_limit 3: the 3 latest missed slots, oldest first", async () => {
      const { rows, after, last } = gap("c_all");
      const n = missedCount("c_all");
      assert.ok(n > 3, `only ${n} slots missed`);
      const [skip, ...others] = after;
      assert.equal(skip.status, "skipped");
      assert.match(
        skip.reason!,
        new RegExp(`^missed: ${n - 3} slots? while .*catchup: all, catchup_limit 3`),
      );
      const caught = others.filter((r) => r.reason?.startsWith("catch-up"));
      assert.equal(caught.length, 3);
      // In start order (rk), oldest slot first.
      assert.deepEqual(
        caught.map((r) => r.scheduled_for),
        [n - 2, n - 1, n].map((k) => last + k * 1000),
      );
      for (const r of caught) {
        assert.equal(r.status, "completed");
        assert.equal(r.reason, "catch-up (catchup: all)");
        assert.equal(stdoutOf(sb.db, r.id, "t").trim(), iso(r.scheduled_for!));
      }
      assertContiguous(after);
      await assertRanOnce(`${sb.dir}/c_all.txt`, rows);
    });

    await step(
      t,
      "pt why (text and --json) shows fired and skipped slots with reasons",
      async () => {
        const { after } = gap("c_last");
        const text = await sb.cli(["why", "c_last", "--db", sb.db, "-n", "50"]);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /^SLOT +DECISION +RUN +RESULT/);
        assert.match(text.stdout, /skipped +- +missed: \d+ slots? while Petit was not running/);
        assert.match(
          text.stdout,
          new RegExp(`fired +${after[1].id} +completed in \\S+ \\(catch-up \\(catchup: last\\)\\)`),
        );

        const json = await sb.cli(["why", "c_last", "--db", sb.db, "-n", "50", "--json"]);
        assert.equal(json.code, 0, json.stderr);
        const doc = JSON.parse(json.stdout) as {
          job_id: string;
          slots: { scheduled_for: number; decision: string; reason: string; run: { id: string } }[];
          count: number;
        };
        assert.equal(doc.job_id, "c_last");
        const all = runs(sb.db, "c_last");
        assert.equal(doc.count, all.length);
        const bySlot = new Map(doc.slots.map((s) => [s.scheduled_for, s]));
        const skipped = bySlot.get(after[0].scheduled_for!);
        assert.equal(skipped?.decision, "skipped");
        assert.match(skipped?.reason ?? "", /^missed: /);
        const caught = bySlot.get(after[1].scheduled_for!);
        assert.equal(caught?.decision, "fired");
        assert.equal(caught?.reason, "catch-up (catchup: last)");
        assert.equal(caught?.run.id, after[1].id);
        const regular = bySlot.get(after.at(-1)!.scheduled_for!);
        assert.equal(regular?.decision, "fired");
        assert.equal(regular?.reason, "scheduled");
        // Newest slot first.
        const slots = doc.slots.map((s) => s.scheduled_for);
        assert.deepEqual(slots, slots.toSorted((x, y) => y - x));

        const none = await sb.cli(["why", "c_nope", "--db", sb.db]);
        assert.equal(none.code, 0);
        assert.match(none.stdout, /no scheduled slots recorded for "c_nope"/);
      },
    );
  });
}

/** After a stop of 3 hours (10,800 missed slots), catch-up still picks the latest slots. */
async function longGap(): Promise<void> {
  const sb = await Sandbox.create();
  const storage = new SqliteStorage(sb.db);
  let s: Scheduler | null = null;
  try {
    const job = (id: string, more: string) =>
      sb.job(
        id,
        `id: ${id}\nschedule: "* * * * * *"\n${more}\ntasks:\n  - id: t\n    command: "true"\n`,
      );
    await job("g_last", "catchup: last");
    await job("g_all", "catchup: all\ncatchup_limit: 3");
    const loaded = await loadJobsDir(sb.jobs);
    assert.deepEqual(loaded.errors, []);
    const old = Math.floor(Date.now() / 1000) * 1000 - 3 * 3_600_000;
    for (const id of ["g_last", "g_all"]) {
      storage.insertRun({
        id: `old-${id}`,
        job_id: id,
        status: "completed",
        trigger: "schedule",
        reason: null,
        scheduled_for: old,
        started_at: old,
        ended_at: old,
        duration_ms: 0,
        error: null,
        retry_of: null,
      });
    }
    const before = Math.floor(Date.now() / 1000) * 1000;
    s = new Scheduler(loaded.jobs, { storage });
    s.start();
    const after = Date.now();
    s.engine!.stop(); // only the catch-up fires matter here
    const latest = (id: string) =>
      storage.listSlots(id, 10).filter((r) => r.reason?.startsWith("catch-up")).reverse();

    const [caught] = latest("g_last");
    assert.ok(caught, "a caught-up run");
    const slot = caught.scheduled_for!;
    assert.ok(slot >= before && slot <= after, `caught up ${(after - slot) / 1000} s old slot`);
    const [skip] = storage.listSlots("g_last", 10).filter((r) => r.status === "skipped");
    assert.equal(skip.scheduled_for, slot - 1000);
    assert.match(skip.reason!, new RegExp(`^missed: ${(slot - old) / 1000 - 1} slots while`));

    assert.deepEqual(
      latest("g_all").map((r) => r.scheduled_for),
      [slot - 2000, slot - 1000, slot],
    );
    await s.shutdown(5000);
  } finally {
    await s?.shutdown(0);
    storage.close();
    await sb.cleanup();
  }
}

Deno.test("exactly once: restart and two schedulers; catch-up policies; pt why", async (t) => {
  await concurrently(t, {
    "restart (SIGTERM, start again at once): no slot twice, the gap caught up": restart,
    "two pt run on one database: each slot once, losers' claims quiet": twoSchedulers,
    "catch-up none / last / all after a stop; pt why": catchup,
    "kill -9 a few ms after a fire, restart with catchup all: the slot is not run again":
      crashAfterFire,
  });
});

// On its own: enumerating 10,800 missed slots blocks this process for a second or two.
Deno.test("in-process: after a 3 h stop, catch-up last / all run the latest slots", longGap);
