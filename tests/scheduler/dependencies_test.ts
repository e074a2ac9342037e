/**
 * Job dependencies judged against a real (in-memory) store.
 *
 * @module
 */

import assert from "node:assert/strict";
import { unsatisfiedDependency } from "../../src/scheduler/dependencies.ts";
import { InMemoryStorage } from "../../src/storage/memory.ts";
import { run } from "../storage/backends.ts";

const upstream = (kind: "last_success" | "last_complete") => [
  { jobId: "job", condition: { kind } } as const,
];

Deno.test("unsatisfiedDependency: no run of the upstream job is a reason", () => {
  const s = new InMemoryStorage();
  assert.equal(
    unsatisfiedDependency(s, upstream("last_success"), 5_000),
    'dependency "job" has not run yet (last_success)',
  );
});

Deno.test("unsatisfiedDependency: the newest finished run decides; skipped and running ones do not", () => {
  const s = new InMemoryStorage();
  s.insertRun(run("a", { status: "failed", started_at: 100, ended_at: 200 }));
  s.insertRun(run("b", { status: "completed", started_at: 300, ended_at: 400 }));
  s.insertRun(run("c", { status: "skipped", started_at: 500, ended_at: 500 }));
  s.insertRun(run("d", { status: "running", started_at: 600 }));
  assert.equal(unsatisfiedDependency(s, upstream("last_success"), 1_000), null);
  s.insertRun(run("e", { status: "failed", started_at: 700, ended_at: 800 }));
  assert.equal(
    unsatisfiedDependency(s, upstream("last_success"), 1_000),
    'dependency "job" last run e failed (last_success)',
  );
  assert.equal(unsatisfiedDependency(s, upstream("last_complete"), 1_000), null);
});

Deno.test("unsatisfiedDependency: runs that share a start instant across a page are all seen", () => {
  // 25 skipped slots and the completed run all started in the same millisecond; the completed
  // run sorts last (smallest id), on the second page of 20.
  const s = new InMemoryStorage();
  s.insertRun(run("a-done", { status: "completed", started_at: 1_000, ended_at: 1_000 }));
  for (let i = 0; i < 25; i++) {
    s.insertRun(run(`z-${String(i).padStart(2, "0")}`, { status: "skipped", ended_at: 1_000 }));
  }
  assert.equal(unsatisfiedDependency(s, upstream("last_success"), 2_000), null);
});
