/**
 * Test helpers for the loader's tests: job texts from lines, loading with the JSON Schema
 * check, and assertions on positioned errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatConfigError } from "../../../src/config/errors.ts";
import { loadJobTexts as loadTexts, type LoadResult } from "../../../src/config/loader/mod.ts";
import type { CommandSpec, JobSpec, TaskSpec } from "../../../src/core/model.ts";
import { jsonSchemaErrors } from "../helpers.ts";

/**
 * The loader's loadJobTexts, plus a check that the JSON Schema given to editors accepts every
 * file the loader accepts, so a schema that is stricter than the loader fails these tests.
 */
export function loadJobTexts(sources: readonly { file: string; text: string }[]): LoadResult {
  const result = loadTexts(sources);
  result.files.forEach((f, i) => {
    if (f.job) assert.deepEqual(jsonSchemaErrors(sources[i].text), [], `${f.file} (JSON Schema)`);
  });
  return result;
}

/** A YAML text from lines (easier to count lines and columns in). */
export function yaml(...lines: string[]): string {
  return lines.join("\n") + "\n";
}

/** A minimal valid task list, for files whose point is elsewhere. */
export const TASKS = ["tasks:", "  - id: t", "    command: echo"];

/** Loads one file's text (named `job.yaml` unless told). */
export function load(text: string, file = "job.yaml"): LoadResult {
  return loadJobTexts([{ file, text }]);
}

/**
 * Asserts the exact list of errors: each expected entry is `file:line:col` followed by
 * substrings the message must contain.
 */
export function assertErrors(result: LoadResult, expected: [string, ...string[]][]): void {
  assertErrorList(result, expected);
  assert.equal(result.jobs.length, 0, "an invalid file must not produce a job");
}

/** Like assertErrors, for sources where some files are valid. */
export function assertErrorList(result: LoadResult, expected: [string, ...string[]][]): void {
  const actual = result.errors.map(formatConfigError);
  assert.equal(
    actual.length,
    expected.length,
    `expected ${expected.length} error(s), got:\n${actual.join("\n")}`,
  );
  expected.forEach(([where, ...parts], i) => {
    assert.ok(actual[i].startsWith(`${where}: `), `error ${i}: want ${where}, got ${actual[i]}`);
    for (const part of parts) {
      assert.ok(actual[i].includes(part), `error ${i}: want "${part}" in ${actual[i]}`);
    }
  });
}

/** Loads texts that must be valid and returns their jobs. */
export function valid(...sources: { file: string; text: string }[]): JobSpec[] {
  const result = loadJobTexts(sources);
  assert.deepEqual(result.errors.map(formatConfigError), []);
  return result.jobs;
}

/** Loads one text that must be valid and returns its job. */
export function onlyJob(text: string, file = "/jobs/job.yaml"): JobSpec {
  const jobs = valid({ file, text });
  assert.equal(jobs.length, 1);
  return jobs[0];
}

/** The task `id` of a job; fails when it is missing. */
export function task(job: JobSpec, id: string): TaskSpec {
  const found = job.tasks.find((t) => t.id === id);
  assert.ok(found, `task ${id} not found`);
  return found;
}

/** The command of a YAML task (always set for tasks loaded from files). */
export function commandOf(t: TaskSpec): CommandSpec {
  assert.ok(t.command, `task ${t.id} has no command`);
  assert.equal(t.custom, null);
  return t.command;
}

/** Runs `fn` in a fresh temporary folder, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "petit-loader-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
