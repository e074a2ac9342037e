/**
 * The scenarios' slot-record checks on records made up here: what they accept (stalls the
 * engine recorded as `missed`, per catch-up policy) and what they refuse (a slot twice, a slot
 * left out, catch-up against the policy).
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertSlotRecords, type SlotRecord } from "./slot_checks.ts";

const T = Date.parse("2026-01-01T00:00:00Z");

function fired(s: number): SlotRecord {
  return { status: "completed", trigger: "schedule", reason: null, scheduled_for: T + s * 1000 };
}

function missed(s: number, k: number, policy = "none"): SlotRecord {
  return {
    status: "skipped",
    trigger: "schedule",
    reason: `missed: ${k} slot${
      k === 1 ? "" : "s"
    } while Petit was not running (catchup: ${policy})`,
    scheduled_for: T + s * 1000,
  };
}

function caught(s: number, policy: string): SlotRecord {
  return {
    status: "completed",
    trigger: "schedule",
    reason: `catch-up (catchup: ${policy})`,
    scheduled_for: T + s * 1000,
  };
}

Deno.test("assertSlotRecords: a stall's missed record fills the gap it ends", () => {
  const { slots, missed: m } = assertSlotRecords(
    [fired(0), fired(1), missed(4, 3), fired(5)],
    { policy: "none" },
  );
  assert.deepEqual(slots, [0, 1, 2, 3, 4, 5].map((s) => T + s * 1000));
  assert.equal(m.length, 1);
});

Deno.test("assertSlotRecords: a slot left out, or twice, or a missed count that is off", () => {
  assert.throws(() => assertSlotRecords([fired(0), fired(2)], { policy: "none" }), /neither/);
  assert.throws(() => assertSlotRecords([fired(0), fired(0)], { policy: "none" }), /twice/);
  assert.throws(
    () => assertSlotRecords([fired(0), missed(4, 2), fired(5)], { policy: "none" }),
    /does not fill/,
  );
  // Shared by two schedulers: a missed record may count slots the other one fired.
  assertSlotRecords([fired(0), missed(2, 3), fired(3)], { policy: "none", shared: true });
});

Deno.test("assertSlotRecords: catch-up as the policy says", () => {
  assert.throws(
    () => assertSlotRecords([fired(0), caught(1, "none"), fired(2)], { policy: "none" }),
    /catch-up run under catchup: none/,
  );
  assertSlotRecords([fired(0), missed(3, 3, "last"), caught(4, "last"), fired(5)], {
    policy: "last",
  });
  assert.throws(
    () => assertSlotRecords([fired(0), missed(3, 3, "last"), fired(4)], { policy: "last" }),
    /not followed by 1 catch-up/,
  );
  assertSlotRecords(
    [fired(0), missed(2, 2, "all"), caught(3, "all"), caught(4, "all"), fired(5)],
    { policy: "all", limit: 2 },
  );
  assert.throws(
    () =>
      assertSlotRecords(
        [fired(0), missed(3, 3, "all"), caught(4, "all"), fired(5)],
        { policy: "all", limit: 2 },
      ),
    /not followed by 2 catch-up/,
  );
});
