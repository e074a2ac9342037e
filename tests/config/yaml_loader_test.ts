/**
 * Tests of yaml_loader.ts: the library's YamlLoader, which throws JobConfigError listing every
 * problem instead of returning them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { JobConfigError, JobsDirError } from "../../src/config/errors.ts";
import { YamlLoader } from "../../src/config/yaml_loader.ts";

const JOB = "id: hello\ntasks:\n  - id: greet\n    command: echo\n    args: [hi]\n";

Deno.test("YamlLoader.parseJobConfig(): a valid text is its job", () => {
  const job = YamlLoader.parseJobConfig(JOB, "jobs/hello.yaml");
  assert.equal(job.id, "hello");
  assert.deepEqual(job.tasks.map((t) => [t.id, t.command?.command, t.command?.args]), [
    ["greet", "echo", ["hi"]],
  ]);
  assert.ok(job.file.endsWith(join("jobs", "hello.yaml")), job.file);
});

Deno.test("YamlLoader.parseJobConfig(): problems throw JobConfigError, named job.yaml by default", () => {
  assert.throws(() => YamlLoader.parseJobConfig("id: a\ntasks: []\nshedule: x\n"), (err) => {
    assert.ok(err instanceof JobConfigError);
    assert.deepEqual(err.errors.map((e) => `${e.file}:${e.line}:${e.col}`), [
      "job.yaml:2:8",
      "job.yaml:3:1",
    ]);
    assert.match(err.message, /^job\.yaml:2:8: .*\njob\.yaml:3:1: unknown key "shedule"/);
    return true;
  });
  assert.throws(
    () => YamlLoader.parseJobConfig("id: [\n", "mine.yaml"),
    (err) => err instanceof JobConfigError && err.errors[0].file === "mine.yaml",
  );
});

Deno.test("YamlLoader.loadDir(): every job of a folder, or every problem at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-yaml-loader-" });
  try {
    await Deno.writeTextFile(join(dir, "hello.yaml"), JOB);
    assert.deepEqual((await YamlLoader.loadDir(dir)).map((j) => j.id), ["hello"]);
    await Deno.writeTextFile(join(dir, "bad.yaml"), "id: bad\n");
    await Deno.writeTextFile(join(dir, "worse.yaml"), "id: worse\ntasks: 3\n");
    await assert.rejects(() => YamlLoader.loadDir(dir), (err) => {
      assert.ok(err instanceof JobConfigError);
      assert.deepEqual(err.errors.map((e) => e.file), [
        join(dir, "bad.yaml"),
        join(dir, "worse.yaml"),
      ]);
      return true;
    });
    await assert.rejects(() => YamlLoader.loadDir(join(dir, "missing")), JobsDirError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
