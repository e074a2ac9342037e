/**
 * The config of the doc-test run (`tests/doc_tests.jsonc`) stays deno.json's, but for
 * `noUnusedLocals`: examples are checked as strictly as the code they document, and with the
 * same imports and lock file. Needs `--allow-read`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The doc-test config, relative to the root as the "test" task names it. */
const DOC_CONFIG = "tests/doc_tests.jsonc";

/** A JSON file whose comments, if any, fill whole lines. */
async function readJson(path: string): Promise<Record<string, unknown>> {
  const text = await Deno.readTextFile(join(ROOT, path));
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, ""));
}

Deno.test("doc_tests.jsonc: has deno.json's compiler options without noUnusedLocals", async () => {
  const project = await readJson("deno.json");
  const docs = await readJson(DOC_CONFIG);
  const { noUnusedLocals, ...expected } = project.compilerOptions as Record<string, unknown>;
  assert.equal(noUnusedLocals, true, "deno.json is the strict one");
  assert.deepEqual(docs.compilerOptions, expected);
});

Deno.test("doc_tests.jsonc: resolves with deno.json's imports and lock file", async () => {
  const docs = await readJson(DOC_CONFIG);
  const at = (path: string) => resolve(ROOT, dirname(DOC_CONFIG), path);
  assert.equal(at(docs.importMap as string), join(ROOT, "deno.json"));
  const lock = docs.lock as { path: string; frozen: boolean };
  assert.equal(at(lock.path), join(ROOT, "deno.lock"));
  assert.equal(lock.frozen, true, "the doc run never rewrites the lock file");
});

Deno.test("deno.json: the test task runs the examples of src/ and mod.ts under that config", async () => {
  const tasks = (await readJson("deno.json")).tasks as Record<string, string>;
  assert.match(tasks.test, /^deno install --quiet && /);
  assert.match(tasks.test, new RegExp(`deno test --doc --config ${DOC_CONFIG} .* src/ mod\\.ts$`));
});
