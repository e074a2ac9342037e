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
  waitUntil,
  withSandbox,
} from "./helpers.ts";
import {
  assertSlotsHandled,
  isCatchUp,
  isRegular,
  missedSlots,
  type SlotRules,
  STALLS_ALLOWED,
} from "./slot_checks.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** Fired (not skipped) slots of `rows`. */
function firedSlots(rows: readonly RunRow[]): number[] {
  return rows.filter((r) => r.status !== "skipped").map((r) => r.scheduled_for!);
}

/**
 * Asserts the slot records are distinct whole seconds with no gap from the first to the last
 * (a gap only inside a `missed` record: natively only the `expectedMissed` stops the test
 * makes, emulated also stalls; see slot_checks.ts); returns every slot they account for.
 */
function assertContiguous(rows: readonly RunRow[], rules: SlotRules, expectedMissed = 0) {
  const account = assertSlotsHandled(rows, rules, expectedMissed);
  for (const slot of account.slots) assert.equal(slot % 1000, 0, `${iso(slot)}: not a second`);
  return account;
}

/**
 * Asserts each fired slot's task ran exactly once (the tasks append their slot to `file`); a
 * run cut short by a crash (`interrupted`) at most once: its claim is committed before its
 * task starts, and a crash in between leaves it unrun (seen under qemu: the task of the next
 * slot killed pt before this slot's task had started).
 */
async function assertRanOnce(file: string, rows: readonly RunRow[]): Promise<void> {
  const ran = await lines(file);
  assert.equal(new Set(ran).size, ran.length, `a slot ran twice: ${ran.join(", ")}`);
  const cut = new Set(rows.filter((r) => r.status === "interrupted").map((r) => r.scheduled_for));
  const fired = firedSlots(rows).sort((a, b) => a - b);
  assert.deepEqual(
    ran.toSorted(),
    fired.filter((slot) => !cut.has(slot) || ran.includes(iso(slot))).map(iso),
  );
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
    // Catch-up "all" fills the restart gap (up to catchup_limit 10: a restart under qemu takes
    // longer, and the slots before those 10 are one missed record), and no slot (fired or
    // caught up) ran twice.
    const { slots } = assertContiguous(rows, { policy: "all" });
    assert.ok(slots.length >= 5, `expected ≥ 5 slots in 6 s, got ${slots.length}`);
    const ran = rows.filter((r) => missedSlots(r) === null);
    assert.ok(ran.every((r) => r.status === "completed"), JSON.stringify(rows));
    await assertRanOnce(file, rows);
    assert.equal(new Set(ran.map((r) => r.owner)).size, 2, "both processes fired slots");
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
    // Both tried some slots the other had (natively within those 3.5 s; under qemu a scheduler
    // can spend them warming up or starved of CPU).
    const claimed = (s: string) => s.match(/already claimed by another scheduler/g)?.length ?? 0;
    await waitUntil(
      "the schedulers to compete for slots",
      () => claimed(a.stderr) + claimed(b.stderr) >= 2,
    );
    const [ea, eb] = await Promise.all([a.stop(), b.stop()]);
    assert.equal(ea.code, 0, ea.stderr);
    assert.equal(eb.code, 0, eb.stderr);

    const rows = runs(sb.db, "both");
    const { slots } = assertContiguous(rows, { policy: "none", shared: true });
    assert.ok(slots.length >= 3, `expected ≥ 3 slots, got ${slots.length}`);
    await assertRanOnce(file, rows);
    // Both tried the slots they shared; the losers' claims failed quietly.
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
    const { slots } = assertContiguous(rows, { policy: "all" });
    assert.ok(slots.length >= 4, JSON.stringify(rows));
    await assertRanOnce(file, rows);
    // The second run's task killed pt: that slot was recovered, not run again.
    const secondSlot = (await lines(file))[1];
    const killedFire = rows.find((r) =>
      r.scheduled_for !== null && iso(r.scheduled_for) === secondSlot
    );
    assert.equal(killedFire?.status, "interrupted", "the killed fire was recovered, not run again");
  });
}

/**
 * How long the second `pt run` of {@link withGap} is held in its start-up.
 *
 * @default {2500}
 */
const SLOW_START_MS = 2500;

/**
 * Runs `pt run` briefly, stops it for a few seconds, then runs it again with a slow start: its
 * config file is a FIFO that the test writes {@link SLOW_START_MS} later, so `pt run` waits in
 * its start-up (reading the config comes before the jobs, the database and the engine) while
 * slots pass, as on a slow board (under qemu every start takes 20–40 s anyway). Returns the
 * second one's log and when it was started (records made before are the first one's).
 */
async function withGap(sb: Sandbox): Promise<{ stderr: string; secondAt: number }> {
  const first = sb.run();
  await first.ready();
  await sleep(2300);
  assert.equal((await first.stop()).code, 0);
  await sleep(2000); // with the slow start, ≥ 4 slots missed whatever the phase
  const config = `${sb.dir}/config.toml`;
  const mkfifo = await new Deno.Command("mkfifo", { args: [config] }).output();
  assert.ok(mkfifo.success, new TextDecoder().decode(mkfifo.stderr));
  const second = sb.run(["--config", config]);
  await sleep(SLOW_START_MS);
  // Blocks until pt opens the FIFO; pt reads to the end once this closes it.
  await Promise.race([
    Deno.writeTextFile(config, "# a slow start\n"),
    second.exited.then((e) => assert.fail(`pt run exited at start:\n${e.stderr}`)),
  ]);
  await second.ready();
  await sleep(1200);
  const exit = await second.stop();
  assert.equal(exit.code, 0, exit.stderr);
  return { stderr: exit.stderr, secondAt: second.startedAt };
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
    const { stderr, secondAt } = await withGap(sb);

    /** Records of the slots after the first process's last slot (per job), in start order. */
    const gap = (id: string) => {
      const rows = runs(sb.db, id);
      const last = Math.max(
        ...rows.filter((r) => r.started_at < secondAt).map((r) => r.scheduled_for!),
      );
      return { rows, after: rows.filter((r) => r.scheduled_for! > last), last };
    };
    // When the engine counted the missed slots: it counts them for all jobs at one instant
    // as it starts, and logs the first job's line just after; the others' lines follow once
    // the catch-up of the jobs before is recorded (seconds later under qemu).
    const startLine = stderr.match(/^(\S+) INFO {2}\d+ slot\(s\) missed while down/m);
    assert.ok(startLine, `no catch-up line in:\n${stderr}`);
    const countedAt = Date.parse(startLine[1]);
    assert.ok(
      countedAt - secondAt >= SLOW_START_MS,
      `the engine started ${countedAt - secondAt} ms in`,
    );
    /**
     * The missed slots the second pt's catch-up counted for a job: every slot since the first
     * pt's last one, those that passed while pt was starting too (one less than the seconds
     * at `countedAt` if a second turned between the count and the line).
     */
    const missedCount = (id: string, last: number) => {
      const m = stderr.match(
        new RegExp(
          `(\\d+) slot\\(s\\) missed while down; catchup \\w+: running \\d+ +job=${id}$`,
          "m",
        ),
      );
      assert.ok(m, `no catch-up line for ${id} in:\n${stderr}`);
      const n = Number(m[1]);
      const since = Math.floor((countedAt - last) / 1000);
      assert.ok(n === since || n === since - 1, `${n} missed, ${since} slots since the last one`);
      return n;
    };

    await step(t, "none: one skipped 'missed' record for the gap, nothing run", async () => {
      const { rows, after, last } = gap("c_none");
      const n = missedCount("c_none", last);
      assert.ok(n >= 3, `only ${n} slots missed`);
      const [skip, ...rest] = after;
      assert.equal(skip.status, "skipped");
      assert.match(skip.reason!, new RegExp(`^missed: ${n} slots while Petit was not running`));
      assert.equal(skip.scheduled_for, last + n * 1000, "recorded at the latest missed slot");
      // Emulated, stalls after the start add `missed` records among them (no catch-up runs).
      const fired = STALLS_ALLOWED ? rest.filter(isRegular) : rest;
      assert.ok(fired.length >= 1 && fired.every((r) => r.status === "completed" && !r.reason));
      // Fires go on from now: each slot after the gap's record has one (no catch-up run).
      assertContiguous(rows, { policy: "none" }, 1);
      await assertRanOnce(`${sb.dir}/c_none.txt`, rows);
    });

    await step(t, "last: the latest missed slot runs once, with PETIT_SCHEDULED_FOR", async () => {
      const { rows, after, last } = gap("c_last");
      const n = missedCount("c_last", last);
      const [skip, caught, ...rest] = after;
      assert.equal(skip.status, "skipped");
      assert.match(skip.reason!, new RegExp(`^missed: ${n - 1} slots? while`));
      assert.equal(skip.scheduled_for, last + (n - 1) * 1000);
      assert.equal(caught.status, "completed");
      assert.equal(caught.reason, "catch-up (catchup: last)");
      assert.equal(caught.scheduled_for, last + n * 1000);
      assert.equal(stdoutOf(sb.db, caught.id, "t").trim(), iso(caught.scheduled_for!));
      // Emulated, a stall after the start adds its own `missed` record and catch-up run.
      const fired = STALLS_ALLOWED ? rest.filter(isRegular) : rest;
      assert.ok(fired.every((r) => r.status === "completed" && r.reason === null));
      assertContiguous(rows, { policy: "last" }, 1);
      await assertRanOnce(`${sb.dir}/c_last.txt`, rows);
    });

    await step(t, "all + catchup_limit 3: the 3 latest missed slots, oldest first", async () => {
      const { rows, after, last } = gap("c_all");
      const n = missedCount("c_all", last);
      assert.ok(n > 3, `only ${n} slots missed`);
      const [skip, ...others] = after;
      assert.equal(skip.status, "skipped");
      assert.match(
        skip.reason!,
        new RegExp(`^missed: ${n - 3} slots? while .*catchup: all, catchup_limit 3`),
      );
      // Recorded right after the gap's record (emulated, stalls may add catch-ups later on).
      const caught = others.slice(0, 3);
      assert.ok(caught.every(isCatchUp), JSON.stringify(caught));
      if (!STALLS_ALLOWED) assert.equal(others.filter(isCatchUp).length, 3);
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
      assertContiguous(rows, { policy: "all", limit: 3 }, 1);
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
        const lastFired = after.filter((r) => isRegular(r) && r.status === "completed").at(-1)!;
        const regular = bySlot.get(lastFired.scheduled_for!);
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
    "catch-up none / last / all after a stop and a slow start; pt why": catchup,
    "kill -9 a few ms after a fire, restart with catchup all: the slot is not run again":
      crashAfterFire,
  });
});

// On its own: enumerating 10,800 missed slots blocks this process for a second or two.
Deno.test("in-process: after a 3 h stop, catch-up last / all run the latest slots", longGap);
