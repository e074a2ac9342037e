import assert from "node:assert/strict";
import { LiveAttempt } from "../../../src/exec/live/mod.ts";
import { Capture } from "../../../src/exec/process/mod.ts";

const enc = (text: string) => new TextEncoder().encode(text);

function attached(max = 1024) {
  const live = new LiveAttempt("r1", "t", 2, 1000);
  const out = { stdout: new Capture(max, null), stderr: new Capture(max, null) };
  live.attach(out);
  return { live, ...out };
}

Deno.test("LiveAttempt: readers get each kept line once, from the first, as it is kept", () => {
  const { live, stdout, stderr } = attached();
  stdout.push(enc("one\ntw"));
  const early = live.reader();
  assert.deepEqual(early.read(), [{ stream: "stdout", line: "one", attempt: 2 }]);
  stdout.push(enc("o\n"));
  stderr.push(enc("oops\n"));
  assert.deepEqual(early.read().map((l) => [l.stream, l.line]), [
    ["stdout", "two"],
    ["stderr", "oops"],
  ]);
  // A reader that comes later starts from the first line all the same.
  const late = live.reader();
  assert.deepEqual(late.read().map((l) => l.line), ["one", "two", "oops"]);
  assert.equal(late.done, false);
});

Deno.test("LiveAttempt: the unterminated last line comes at the end, then the reader is done", () => {
  const { live, stdout } = attached();
  stdout.push(enc("a\npartial"));
  const reader = live.reader();
  assert.deepEqual(reader.read().map((l) => l.line), ["a"]);
  assert.equal(reader.done, false);
  live.finish({
    attempt: 2,
    status: "failed",
    exit_code: 3,
    error: "exit code 3",
    dropped_bytes: 0,
  });
  assert.equal(reader.done, false);
  assert.deepEqual(reader.read().map((l) => l.line), ["partial"]);
  assert.equal(reader.done, true);
  assert.equal(live.end?.exit_code, 3);
});

Deno.test("LiveAttempt: a full capture ends its stream's lines; later bytes are only counted", () => {
  const { live, stdout } = attached(8);
  const reader = live.reader();
  stdout.push(enc("1234\n6789\nmore\n"));
  // Kept: "1234\n678": the cut line is the stream's last one, at once.
  assert.deepEqual(reader.read().map((l) => l.line), ["1234", "678"]);
  stdout.push(enc("and more\n"));
  assert.deepEqual(reader.read(), []);
  const logs = live.logs();
  assert.equal(logs.stdout, "1234\n678");
  assert.equal(logs.stdout_truncated, true);
  assert.equal(logs.stdout_bytes, 24);
});

Deno.test("LiveAttempt: listeners are woken by kept bytes and by the end, until removed", () => {
  const { live, stdout } = attached();
  let wakes = 0;
  const off = live.listen(() => wakes++);
  assert.equal(live.listeners, 1);
  stdout.push(enc("x\n"));
  assert.equal(wakes, 1);
  off();
  assert.equal(live.listeners, 0);
  stdout.push(enc("y\n"));
  assert.equal(wakes, 1);
  // A listener that throws does not stop capture.
  live.listen(() => {
    throw new Error("boom");
  });
  stdout.push(enc("z\n"));
  assert.equal(stdout.kept, 6);
});

Deno.test("LiveAttempt.logs(): the output so far as an attempt that has not ended", () => {
  const { live, stdout, stderr } = attached();
  assert.deepEqual(live.logs(), {
    run_id: "r1",
    task_id: "t",
    attempt: 2,
    started_at: 1000,
    ended_at: null,
    exit_code: null,
    error: null,
    stdout: "",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 0,
    stderr_bytes: 0,
  });
  // "é" is two bytes: with only the first kept so far, it is not shown yet.
  const e = enc("é");
  stdout.push(new Uint8Array([...enc("caf"), e[0]]));
  stderr.push(enc("warn\n"));
  assert.equal(live.logs().stdout, "caf");
  stdout.push(e.subarray(1));
  assert.equal(live.logs().stdout, "café");
  assert.equal(live.logs().stderr, "warn\n");
});

Deno.test("LiveAttempt: an attempt whose process never started has no lines and ends", () => {
  const live = new LiveAttempt("r", "t", 1);
  const reader = live.reader();
  assert.deepEqual(reader.read(), []);
  assert.equal(live.logs().stdout, "");
  live.finish({ attempt: 1, status: "failed", exit_code: null, error: "nope", dropped_bytes: 0 });
  assert.equal(reader.done, true);
});
