import assert from "node:assert/strict";
import { parseKeys } from "../../src/tui/keys.ts";

const keys = (text: string) => parseKeys(new TextEncoder().encode(text));

Deno.test("parseKeys(): printable characters are themselves", () => {
  assert.deepEqual(keys("jk?qG"), ["j", "k", "?", "q", "G"]);
  assert.deepEqual(keys("é"), ["é"]);
});

Deno.test("parseKeys(): arrows and paging keys in both CSI and SS3 forms", () => {
  assert.deepEqual(keys("\x1b[A\x1b[B\x1b[C\x1b[D"), ["up", "down", "right", "left"]);
  assert.deepEqual(keys("\x1bOA\x1bOB"), ["up", "down"]);
  assert.deepEqual(keys("\x1b[5~\x1b[6~\x1b[H\x1b[F\x1b[1~\x1b[4~"), [
    "pageup",
    "pagedown",
    "home",
    "end",
    "home",
    "end",
  ]);
  assert.deepEqual(keys("\x1b[1;5A"), ["up"]);
});

Deno.test("parseKeys(): Enter, Backspace, Ctrl+C and a lone Escape", () => {
  assert.deepEqual(keys("\r\n\x7f\x03"), ["enter", "enter", "backspace", "ctrl-c"]);
  assert.deepEqual(keys("\x1b"), ["escape"]);
  assert.deepEqual(keys("\x1b\x1b"), ["escape", "escape"]);
});

Deno.test("parseKeys(): Escape read together with the next key is two keys", () => {
  assert.deepEqual(keys("\x1b\r"), ["escape", "enter"]);
  assert.deepEqual(keys("\x1bq"), ["escape", "q"]);
});

Deno.test("parseKeys(): an unknown or cut sequence does not swallow what follows", () => {
  assert.deepEqual(keys("\x1b[99zj"), ["unknown", "j"]);
  assert.deepEqual(keys("\x1b[1"), ["unknown"]);
});
