/**
 * The claims of one engine wake-up: runs start only once their claims are committed, and
 * not at all when the commit fails.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ClaimBatch, ClaimNotCommittedError } from "../../src/scheduler/claims.ts";
import { WritesNotCommittedError } from "../../src/storage/errors.ts";

/** Whether `p` has settled after the pending microtasks: "resolved", "rejected" or "pending". */
async function state(p: Promise<unknown>): Promise<string> {
  let s = "pending";
  p.then(() => (s = "resolved"), () => (s = "rejected"));
  await new Promise((r) => setTimeout(r, 0));
  return s;
}

Deno.test("ClaimBatch: the gate opens once the claims are committed", async () => {
  let flushes = 0;
  const claims = new ClaimBatch(() => void flushes++);
  const gate = claims.startGate();
  claims.claimed();
  assert.equal(await state(gate), "pending", "nothing starts before the commit");
  claims.commit();
  assert.equal(flushes, 1);
  assert.equal(await state(gate), "resolved");
});

Deno.test("ClaimBatch: a commit that fails keeps every run of the wake-up from starting", async () => {
  const full = new WritesNotCommittedError(3, "/tmp/petit.db", {
    cause: new Error("database or disk is full"),
  });
  const claims = new ClaimBatch(() => {
    throw full;
  });
  const first = claims.startGate();
  claims.claimed();
  const second = claims.startGate();
  claims.claimed();
  assert.equal(first, second, "one gate per wake-up");
  claims.commit();
  await assert.rejects(first, (err) => {
    assert.ok(err instanceof ClaimNotCommittedError);
    assert.equal(err.cause, full);
    assert.match(err.message, /database or disk is full/);
    return true;
  });
  // The next wake-up gets a new gate: with the store back, its runs start.
  const next = new ClaimBatch(() => {});
  const gate = next.startGate();
  next.claimed();
  next.commit();
  assert.equal(await state(gate), "resolved");
});

Deno.test("ClaimBatch: a gate nobody waits on fails without an unhandled rejection", async () => {
  const claims = new ClaimBatch(() => {
    throw new Error("disk full");
  });
  claims.startGate(); // a run that was never started (its slot was taken)
  claims.claimed();
  claims.commit();
  await new Promise((r) => setTimeout(r, 10)); // an unhandled rejection would fail the test
});
