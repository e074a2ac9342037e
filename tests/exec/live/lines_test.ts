import assert from "node:assert/strict";
import { newCursor, takeLines } from "../../../src/exec/live/lines.ts";
import { MAX_LINE_BYTES } from "../../../src/exec/process/mod.ts";
import { scaled } from "../../time_scale.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("takeLines(): complete lines only, the unterminated rest once final", () => {
  const cursor = newCursor();
  assert.deepEqual(takeLines(bytes("a\nb\nc"), cursor, false), ["a", "b"]);
  assert.deepEqual(takeLines(bytes("a\nb\nc"), cursor, false), []);
  // More bytes of the same stream: the line completes.
  assert.deepEqual(takeLines(bytes("a\nb\ncd\ne"), cursor, false), ["cd"]);
  assert.deepEqual(takeLines(bytes("a\nb\ncd\ne"), cursor, true), ["e"]);
  assert.deepEqual(takeLines(bytes("a\nb\ncd\ne"), cursor, true), []);
});

Deno.test("takeLines(): empty lines are lines; a final newline adds none", () => {
  assert.deepEqual(takeLines(bytes("\n\nx\n"), newCursor(), true), ["", "", "x"]);
  assert.deepEqual(takeLines(bytes(""), newCursor(), true), []);
});

Deno.test("takeLines(): at most `limit` lines a call, the rest on the next", () => {
  const text = bytes("1\n2\n3\n4\n5\n");
  const cursor = newCursor();
  assert.deepEqual(takeLines(text, cursor, true, 2), ["1", "2"]);
  assert.deepEqual(takeLines(text, cursor, true, 2), ["3", "4"]);
  assert.deepEqual(takeLines(text, cursor, true, 2), ["5"]);
});

Deno.test("takeLines(): lines over MAX_LINE_BYTES are cut there, like onLine's", () => {
  const long = "x".repeat(MAX_LINE_BYTES + 10);
  const lines = takeLines(bytes(`${long}\nnext\n`), newCursor(), false);
  assert.deepEqual(lines.map((l) => l.length), [MAX_LINE_BYTES, 4]);
});

Deno.test("takeLines(): a long line arriving a byte at a time is searched once", () => {
  // 20,000 calls over a growing line: searching from its start each time would be 2e8 steps.
  const all = bytes(`${"y".repeat(20_000)}\n`);
  const cursor = newCursor();
  const started = performance.now();
  for (let n = 1; n < all.length; n++) {
    assert.deepEqual(takeLines(all.subarray(0, n), cursor, false), []);
  }
  assert.equal(cursor.scanned, all.length - 1);
  assert.deepEqual(takeLines(all, cursor, false).map((l) => l.length), [20_000]);
  // 20-40 ms natively; the scanned count above is what proves the single search.
  assert.ok(performance.now() - started < scaled(2000));
});
