import assert from "node:assert/strict";
import { cut, fit, fitRight, length, printable, shortTime } from "../../src/tui/text.ts";

Deno.test("printable(): escape sequences and control characters from a task are removed", () => {
  assert.equal(printable("\x1b[1;31mred\x1b[0m"), "red");
  assert.equal(printable("\x1b]0;title\x07text"), "text");
  assert.equal(printable("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
  assert.equal(printable("a\x00b\x07c\x9bd"), "abcd");
  assert.equal(printable("progress 50%\r"), "progress 50%");
  assert.equal(printable("clear\x1b[2J\x1b[Hscreen"), "clearscreen");
});

Deno.test("printable(): tabs are expanded to the next multiple of eight", () => {
  assert.equal(printable("a\tb"), "a       b");
  assert.equal(printable("12345678\tx"), "12345678        x");
});

Deno.test("cut() and fit(): widths in code points, … when cut", () => {
  assert.equal(cut("abcdef", 4), "abc…");
  assert.equal(cut("abc", 4), "abc");
  assert.equal(cut("abc", 0), "");
  assert.equal(fit("ab", 4), "ab  ");
  assert.equal(fit("abcdef", 4), "abc…");
  assert.equal(fitRight("7", 3), "  7");
  assert.equal(length("a😀b"), 3);
  assert.equal(cut("😀😀😀", 2), "😀…");
});

Deno.test("shortTime(): the time today, the date and minute on other days, - for null", () => {
  const now = new Date(2026, 2, 8, 15, 0, 0).getTime();
  assert.equal(shortTime(new Date(2026, 2, 8, 3, 4, 5).getTime(), now), "03:04:05");
  assert.equal(shortTime(new Date(2026, 2, 9, 3, 4, 5).getTime(), now), "03-09 03:04");
  assert.equal(shortTime(null, now), "-");
});
