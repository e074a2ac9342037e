/**
 * Tests of errors.ts: the `file:line:col: message` form, the order of errors, the error
 * classes, and the typo hints of `nearest()`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type ConfigError,
  formatConfigError,
  JobConfigError,
  JobsDirError,
  nearest,
  sortConfigErrors,
} from "../../src/config/errors.ts";
import { scaled } from "../time_scale.ts";

const at = (file: string, line: number, col: number): ConfigError => ({
  file,
  line,
  col,
  message: `${file}@${line}:${col}`,
});

Deno.test("formatConfigError(): file:line:col: message", () => {
  assert.equal(
    formatConfigError({ file: "jobs/a.yaml", line: 3, col: 7, message: "bad" }),
    "jobs/a.yaml:3:7: bad",
  );
});

Deno.test("sortConfigErrors(): by file, then line, then column, in place", () => {
  const errors = [at("b.yaml", 1, 1), at("a.yaml", 2, 5), at("a.yaml", 2, 1), at("a.yaml", 1, 9)];
  const sorted = sortConfigErrors(errors);
  assert.equal(sorted, errors, "sorts the given array");
  assert.deepEqual(sorted.map((e) => `${e.file}:${e.line}:${e.col}`), [
    "a.yaml:1:9",
    "a.yaml:2:1",
    "a.yaml:2:5",
    "b.yaml:1:1",
  ]);
});

Deno.test("JobConfigError: carries every error; its message is one formatted line each", () => {
  const errors = [at("a.yaml", 1, 2), at("b.yaml", 3, 4)];
  const err = new JobConfigError(errors);
  assert.ok(err instanceof Error);
  assert.equal(err.name, "JobConfigError");
  assert.equal(err.errors, errors);
  assert.equal(err.message, "a.yaml:1:2: a.yaml@1:2\nb.yaml:3:4: b.yaml@3:4");
});

Deno.test("JobsDirError: a named error with the message given", () => {
  const err = new JobsDirError("jobs folder not found: /nope");
  assert.ok(err instanceof Error);
  assert.equal(err.name, "JobsDirError");
  assert.equal(err.message, "jobs folder not found: /nope");
});

Deno.test("nearest(): the closest candidate when it is a likely typo", () => {
  assert.equal(nearest("shedule", ["schedule", "timezone", "tasks"]), "schedule");
  assert.equal(nearest("comand", ["command", "script"]), "command");
  assert.equal(nearest("Tasks", ["tasks"]), "tasks", "case does not count");
  assert.equal(nearest("x", []), null);
});

Deno.test("nearest(): nothing when every candidate is too far", () => {
  // Up to 2 edits, or a third of the word's length for long words.
  assert.equal(nearest("owner", ["tasks", "schedule"]), null);
  assert.equal(nearest("abc", ["xyz"]), null);
  assert.equal(nearest("ab", ["xy"]), "xy", "2 edits are always close enough");
  assert.equal(nearest("max_concurency_x", ["max_concurrency"]), "max_concurrency");
});

Deno.test("nearest(): the same answer as a full edit distance, ties to the first candidate", () => {
  // The plain algorithm nearest() cuts short: every distance in full, the least within reach.
  const distance = (a: string, b: string) => {
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) {
        cur[j] = Math.min(
          prev[j] + 1,
          cur[j - 1] + 1,
          prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
      }
      prev = cur;
    }
    return prev[b.length];
  };
  const plain = (word: string, candidates: string[]) => {
    let best: string | null = null;
    let bestDistance = Infinity;
    for (const c of candidates) {
      const d = distance(word.toLowerCase(), c.toLowerCase());
      if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
  };
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const word = () =>
    Array.from({ length: Math.floor(next() * 14) }, () => "abcAB_-1"[Math.floor(next() * 8)])
      .join("");
  for (let round = 0; round < 20_000; round++) {
    const candidates = Array.from({ length: Math.floor(next() * 8) }, word);
    const w = word();
    assert.equal(nearest(w, candidates), plain(w, candidates), `${w} in ${candidates}`);
  }
});

Deno.test("nearest(): linear in the candidates (10,000 ids, 100 questions)", () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `task_${i}`);
  const start = performance.now();
  for (let i = 0; i < 100; i++) nearest(`missing_${i}`, ids);
  const ms = performance.now() - start;
  assert.equal(nearest("task_12x", ids), "task_12");
  assert.ok(ms < scaled(2000), `took ${ms.toFixed(0)} ms`);
});
