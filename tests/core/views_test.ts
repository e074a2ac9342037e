import assert from "node:assert/strict";
import { type AttemptLogView, droppedBytes, storedAttemptEnd } from "../../src/core/views.ts";

function attempt(patch: Partial<AttemptLogView>): AttemptLogView {
  return {
    run_id: "r",
    task_id: "t",
    attempt: 1,
    started_at: 1,
    ended_at: 2,
    exit_code: 0,
    error: null,
    stdout: "",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 0,
    stderr_bytes: 0,
    ...patch,
  };
}

Deno.test("droppedBytes(): bytes produced past the kept text, both streams, in UTF-8 bytes", () => {
  assert.equal(droppedBytes(attempt({ stdout: "abc", stdout_bytes: 3 })), 0);
  assert.equal(
    droppedBytes(attempt({
      stdout: "é",
      stdout_truncated: true,
      stdout_bytes: 10,
      stderr: "x",
      stderr_truncated: true,
      stderr_bytes: 4,
    })),
    (10 - 2) + (4 - 1),
  );
});

Deno.test("storedAttemptEnd(): the attempt's own outcome; one that never ended failed", () => {
  const task = { error: "interrupted" };
  assert.deepEqual(storedAttemptEnd(attempt({}), task), {
    attempt: 1,
    status: "completed",
    exit_code: 0,
    error: null,
    dropped_bytes: 0,
  });
  assert.equal(
    storedAttemptEnd(attempt({ exit_code: 3, error: "exit code 3" }), task).status,
    "failed",
  );
  assert.equal(
    storedAttemptEnd(attempt({ exit_code: null, error: "cancelled" }), task).status,
    "cancelled",
  );
  const lost = storedAttemptEnd(attempt({ ended_at: null, exit_code: null }), task);
  assert.deepEqual([lost.status, lost.error], ["failed", "interrupted"]);
});
