/**
 * Checks of a job's slot records that hold on any machine: each slot recorded at most once,
 * every slot from the first record to the last accounted for (fired, skipped for a reason, or
 * inside a `missed: N slots` record), and catch-up as the job's policy says.
 *
 * Why: a scheduler whose event loop stalls past a slot (under qemu the whole process is often
 * descheduled for a second or more, and each task spawn forks the emulator) does not fire the
 * slots it slept through: the next wake-up fires the latest due slot and hands the ones before
 * it to the job's catch-up policy, which records them as one skipped `missed: N slots` record
 * and runs none (`catchup: none`), the latest (`last`) or the latest `catchup_limit` (`all`).
 * Where the tests expect every slot fired, {@link STALLS_ALLOWED} (emulation only) lets them
 * accept such stalls, as long as the engine recorded them exactly that way; natively a stall
 * still fails them.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CatchupPolicy } from "../../src/core/model.ts";
import { EMULATED } from "../time_scale.ts";

/** What the checks read of a slot record: a stored run (`RunRow`, `RunRecord`). */
export interface SlotRecord {
  readonly status: string;
  readonly trigger: string;
  readonly reason: string | null;
  readonly scheduled_for: number | null;
}

/**
 * Whether the scenarios accept slots missed through event-loop stalls while Petit runs: only
 * under emulation (`PETIT_TEST_EMULATED=1`).
 */
export const STALLS_ALLOWED: boolean = EMULATED;

const MISSED = /^missed: (\d+) slots? while Petit was not running \(catchup: (none|last|all)\b/;
const CATCH_UP = /^catch-up \(catchup: (none|last|all)\)$/;

/** How many slots a `missed: N slots …` record stands for, or null for any other record. */
export function missedSlots(r: SlotRecord): number | null {
  if (r.status !== "skipped" || r.reason === null) return null;
  const m = r.reason.match(MISSED);
  return m ? Number(m[1]) : null;
}

/** Whether the record is a run started by catch-up. */
export function isCatchUp(r: SlotRecord): boolean {
  return r.reason !== null && CATCH_UP.test(r.reason);
}

/** A record made when the slot came (fired on time, or skipped for a reason), not afterwards. */
export function isRegular(r: SlotRecord): boolean {
  return missedSlots(r) === null && !isCatchUp(r);
}

/** What {@link assertSlotRecords} checks the records against. */
export interface SlotRules {
  /**
   * Milliseconds between slots.
   *
   * @default {1000}
   */
  readonly period?: number;
  /** The job's catch-up policy. */
  readonly policy: CatchupPolicy;
  /**
   * The job's `catchup_limit` (for `all`).
   *
   * @default {10}
   */
  readonly limit?: number;
  /**
   * Two schedulers shared the database: a missed record may stand for slots the other one
   * fired.
   *
   * @default {false}
   */
  readonly shared?: boolean;
}

/** What {@link assertSlotRecords} found. */
export interface SlotAccount<T extends SlotRecord> {
  /** The records in slot order. */
  readonly rows: T[];
  /** Every slot from the first record to the last: recorded, or inside a missed record. */
  readonly slots: number[];
  /** The missed records. */
  readonly missed: T[];
}

/**
 * Asserts `rows` (one job's scheduled records) are consistent: slots on the period, none
 * recorded twice, each gap between two records filled by the missed record that ends it,
 * and catch-up per `rules.policy` (`none`: no catch-up runs; `last`: one right after each
 * missed record; `all`: `limit` right after each missed record). Returns the records in slot
 * order and every slot they account for.
 */
export function assertSlotRecords<T extends SlotRecord>(
  rows: readonly T[],
  rules: SlotRules,
): SlotAccount<T> {
  const period = rules.period ?? 1000;
  const limit = rules.limit ?? 10;
  const sorted = rows.toSorted((a, b) => a.scheduled_for! - b.scheduled_for!);
  const show = (r: SlotRecord) =>
    `${new Date(r.scheduled_for!).toISOString()} ${r.status} ${r.reason ?? ""}`;
  const all = sorted.map(show).join("\n");
  const seen = new Set(sorted.map((r) => r.scheduled_for));
  assert.equal(seen.size, sorted.length, `a slot recorded twice:\n${all}`);
  const slots: number[] = [];
  sorted.forEach((r, i) => {
    assert.equal(r.trigger, "schedule", show(r));
    const k = missedSlots(r);
    const catchUp = r.reason?.match(CATCH_UP);
    if (catchUp) {
      assert.notEqual(rules.policy, "none", `a catch-up run under catchup: none:\n${all}`);
      assert.equal(catchUp[1], rules.policy, show(r));
    }
    if (i === 0) {
      for (let j = (k ?? 1) - 1; j >= 0; j--) slots.push(r.scheduled_for! - j * period);
      return;
    }
    const prev = sorted[i - 1].scheduled_for!;
    const gap = r.scheduled_for! - prev;
    if (k === null) {
      assert.equal(gap, period, `a slot neither recorded nor missed before ${show(r)}:\n${all}`);
    } else if (rules.shared) {
      assert.ok(gap >= period && gap <= k * period, `${show(r)} after ${gap} ms:\n${all}`);
    } else {
      assert.equal(gap, k * period, `${show(r)} does not fill the ${gap} ms before it:\n${all}`);
    }
    for (let t = prev + period; t <= r.scheduled_for!; t += period) slots.push(t);
  });
  // Catch-up after each missed record: `last` runs the slot after it, `all` the `limit` after.
  const missed = sorted.filter((r) => missedSlots(r) !== null);
  if (rules.policy !== "none" && !rules.shared) {
    const want = rules.policy === "last" ? 1 : limit;
    for (const m of missed) {
      const i = sorted.indexOf(m);
      const next = sorted.slice(i + 1, i + 1 + want);
      if (i + want >= sorted.length) continue; // the stop came first
      assert.ok(next.every(isCatchUp), `${show(m)} not followed by ${want} catch-up(s):\n${all}`);
    }
  }
  return { rows: sorted, slots, missed };
}

/**
 * {@link assertSlotRecords}, and no slot missed unless {@link STALLS_ALLOWED}: natively every
 * slot must be handled when it comes. `expectedMissed` missed records are allowed anyway (a
 * stop of Petit the test makes).
 */
export function assertSlotsHandled<T extends SlotRecord>(
  rows: readonly T[],
  rules: SlotRules,
  expectedMissed = 0,
): SlotAccount<T> {
  const account = assertSlotRecords(rows, rules);
  if (!STALLS_ALLOWED) {
    assert.equal(
      account.missed.length,
      expectedMissed,
      `slots missed while Petit ran:\n${
        account.missed.map((r) => `${new Date(r.scheduled_for!).toISOString()} ${r.reason}`)
          .join("\n")
      }`,
    );
  } else {
    assert.ok(account.missed.length >= expectedMissed);
  }
  return account;
}
