/**
 * Event folding: fields repeated in `data` are stored once, in their columns, and come back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { foldEvent, toEvent } from "../../../src/storage/sqlite/events.ts";
import type { StoredEvent } from "../../../src/storage/types.ts";

const event: Omit<StoredEvent, "id"> = {
  type: "task_completed",
  at: 5,
  job_id: "j",
  run_id: "r1",
  task_id: "a",
  data: { type: "task_completed", at: 5, job_id: "j", run_id: "r1", task_id: "other", x: 1 },
};

Deno.test("foldEvent: leaves out the data fields equal to their columns", () => {
  const { folded, json } = foldEvent(event);
  // type, at, job_id and run_id folded (bits 0-3); task_id differs, so it stays in data.
  assert.equal(folded, 0b01111);
  assert.deepEqual(JSON.parse(json), { task_id: "other", x: 1 });
});

Deno.test("toEvent: puts folded fields back, so an event round-trips", () => {
  const { folded, json } = foldEvent(event);
  const row = { ...event, id: 7, folded, data: json };
  assert.deepEqual(toEvent(row), { ...event, id: 7 });
  assert.deepEqual(Object.keys(toEvent(row).data), Object.keys(event.data));
});
