/**
 * Tests of files.ts: listing a folder, folders that cannot be read, files that cannot be
 * read (with and without parse workers) and what a parse worker returns.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError, JobsDirError } from "../../../src/config/errors.ts";
import type { AnalyzedFile } from "../../../src/config/loader/analysis.ts";
import { analyzeClaimed, listJobFiles, parseWorkerUrl } from "../../../src/config/loader/files.ts";
import { jobDir, loadJobsDir } from "../../../src/config/loader/mod.ts";
import { assertErrorList, TASKS, withTempDir, yaml } from "./helpers.ts";

Deno.test("folder: only *.yaml/*.yml, sorted by name, not recursive", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "zeta.yaml"), yaml("id: zeta", ...TASKS));
    await Deno.writeTextFile(join(dir, "alpha.yml"), yaml("id: alpha", ...TASKS));
    await Deno.writeTextFile(join(dir, "mid.YAML"), yaml("id: mid", ...TASKS));
    await Deno.writeTextFile(join(dir, "notes.txt"), "id: [not yaml");
    await Deno.writeTextFile(join(dir, "broken.yaml.bak"), "id: [not yaml");
    await Deno.mkdir(join(dir, "sub"));
    await Deno.writeTextFile(join(dir, "sub", "nested.yaml"), "id: [not yaml");
    await Deno.mkdir(join(dir, "dir.yaml"));

    assert.deepEqual(await listJobFiles(dir), [
      join(dir, "alpha.yml"),
      join(dir, "mid.YAML"),
      join(dir, "zeta.yaml"),
    ]);
    const result = await loadJobsDir(dir);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.jobs.map((j) => j.id), ["alpha", "mid", "zeta"]);
    assert.deepEqual(result.files.map((f) => f.file), [
      join(dir, "alpha.yml"),
      join(dir, "mid.YAML"),
      join(dir, "zeta.yaml"),
    ]);
    const alpha = result.jobs[0];
    assert.equal(alpha.file, join(dir, "alpha.yml"));
    assert.equal(jobDir(alpha), dir, "relative working_dir resolves against the file's folder");
  });
});

Deno.test("folder: an empty folder loads no jobs and no errors", async () => {
  await withTempDir(async (dir) => {
    const result = await loadJobsDir(dir);
    assert.deepEqual(result, { jobs: [], errors: [], files: [] });
  });
});

Deno.test("folder: missing folder or a file instead of a folder is a JobsDirError", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "nope");
    await assert.rejects(() => loadJobsDir(missing), (err: unknown) => {
      assert.ok(err instanceof JobsDirError);
      assert.match(err.message, /jobs folder not found/);
      assert.ok(err.message.includes(missing));
      return true;
    });
    const file = join(dir, "job.yaml");
    await Deno.writeTextFile(file, yaml("id: a", ...TASKS));
    await assert.rejects(() => loadJobsDir(file), (err: unknown) => {
      assert.ok(err instanceof JobsDirError);
      assert.match(err.message, /not a folder/);
      return true;
    });
  });
});

// ---- unreadable files ----

/**
 * Job files that exist in the listing but cannot be read: a broken symlink, a symlink to a
 * folder, a symlink loop and, unless running as root (who reads anything), a file with mode
 * 000. Returns the names expected in the error list, sorted.
 */
async function writeUnreadable(dir: string): Promise<string[]> {
  await Deno.symlink(join(dir, "gone.yaml"), join(dir, "broken.yaml"));
  await Deno.mkdir(join(dir, "folder"));
  await Deno.symlink(join(dir, "folder"), join(dir, "folder.yaml"));
  await Deno.symlink(join(dir, "loop.yaml"), join(dir, "loop.yaml"));
  const names = ["broken.yaml", "folder.yaml", "loop.yaml"];
  if (Deno.uid() !== 0) {
    await Deno.writeTextFile(join(dir, "secret.yaml"), yaml("id: secret", ...TASKS));
    await Deno.chmod(join(dir, "secret.yaml"), 0o000);
    names.push("secret.yaml");
  }
  return names;
}

Deno.test("loadJobsDir: an unreadable file is a positioned error; the other jobs load", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "good.yaml"), yaml("id: good", ...TASKS));
    const names = await writeUnreadable(dir);
    const result = await loadJobsDir(dir);
    assert.deepEqual(result.jobs.map((j) => j.id), ["good"]);
    assertErrorList(result, names.map((name) => [`${join(dir, name)}:1:1`, "cannot read: "]));
    const message = (name: string) =>
      result.errors.find((e) => e.file === join(dir, name))?.message;
    assert.equal(
      message("broken.yaml"),
      `cannot read: broken symlink (${join(dir, "gone.yaml")} does not exist)`,
    );
    assert.equal(message("folder.yaml"), "cannot read: it is a folder");
    assert.equal(message("loop.yaml"), "cannot read: symlink loop");
    if (names.includes("secret.yaml")) {
      assert.equal(message("secret.yaml"), "cannot read: permission denied");
    }
    const broken = result.files.find((f) => f.file === join(dir, "broken.yaml"));
    assert.deepEqual(broken && { jobId: broken.jobId, job: broken.job }, {
      jobId: null,
      job: null,
    });
  });
});

Deno.test("loadJobsDir: unreadable files in a big folder (parse workers) are errors too", async () => {
  await withTempDir(async (dir) => {
    const count = 250;
    await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const id = `job_${String(i).padStart(3, "0")}`;
        return Deno.writeTextFile(join(dir, `${id}.yaml`), yaml(`id: ${id}`, ...TASKS));
      }),
    );
    const names = await writeUnreadable(dir);
    const result = await loadJobsDir(dir);
    assert.equal(result.jobs.length, count);
    assertErrorList(result, names.map((name) => [`${join(dir, name)}:1:1`, "cannot read: "]));
  });
});

Deno.test("analyzeClaimed: a parse worker returns an unreadable file as its error", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "broken.yaml");
    await Deno.symlink(join(dir, "gone.yaml"), file);
    const [[i, result]] = analyzeClaimed([file], new Int32Array(new SharedArrayBuffer(4)));
    assert.equal(i, 0);
    assert.deepEqual(result.errors.map(formatConfigError), [
      `${file}:1:1: cannot read: broken symlink (${join(dir, "gone.yaml")} does not exist)`,
    ]);
    assert.equal(result.data, null);
  });
});

Deno.test("parse worker: analyzes the files it claims from the shared counter", async () => {
  await withTempDir(async (dir) => {
    const files = ["a", "b", "c"].map((id) => join(dir, `${id}.yaml`));
    await Promise.all(
      files.map((file, i) => Deno.writeTextFile(file, yaml(`id: ${"abc"[i]}`, ...TASKS))),
    );
    const counter = new Int32Array(new SharedArrayBuffer(4));
    counter[0] = 1; // this thread has claimed the first file
    // The URL files.ts starts its workers from: a wrong one would fall back to this thread
    // silently, so the worker is started here by the same URL.
    const worker = new Worker(parseWorkerUrl().href, { type: "module" });
    try {
      const claimed = await new Promise<[number, AnalyzedFile][]>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<[number, AnalyzedFile][]>) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
        worker.postMessage({ files, counter: counter.buffer });
      });
      assert.deepEqual(claimed.map(([i, r]) => [i, r.jobId, r.errors.length, r.data?.id]), [
        [1, "b", 0, "b"],
        [2, "c", 0, "c"],
      ]);
      assert.ok(Atomics.load(counter, 0) > files.length, "the counter is past the last file");
    } finally {
      worker.terminate();
    }
  });
});

// ---- files no check may stop on: alias mistakes, alias bombs, bytes that are not UTF-8 ----

/**
 * Writes a file with an unresolved alias, one with an alias bomb and one in Latin-1 to
 * `dir`; returns the errors expected of them, as `name:line:col` and a part of the message.
 */
async function writeTroublesome(dir: string): Promise<[string, string][]> {
  await Deno.writeTextFile(
    join(dir, "alias.yaml"),
    yaml("id: alias", "name: *nope", ...TASKS),
  );
  const bomb = ["id: bomb", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 12; i++) {
    bomb.push(`l${i}: &l${i} [${Array(8).fill(`*l${i - 1}`).join(", ")}]`);
  }
  await Deno.writeTextFile(join(dir, "bomb.yaml"), yaml(...bomb, ...TASKS));
  await Deno.writeFile(
    join(dir, "latin1.yaml"),
    new Uint8Array([...new TextEncoder().encode("id: latin1\nname: caf"), 0xe9, 0x0a]),
  );
  return [
    ["alias.yaml:2:7", "YAML alias *nope has no anchor &nope before it"],
    ["bomb.yaml:7:15", "YAML alias *l4 makes this file's aliases expand to more than"],
    ["latin1.yaml:2:10", "not valid UTF-8 (byte 0xE9"],
  ];
}

Deno.test("loadJobsDir: alias mistakes and non-UTF-8 files are errors of their files; the rest load", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "good.yaml"), yaml("id: good", ...TASKS));
    const expected = await writeTroublesome(dir);
    const result = await loadJobsDir(dir);
    assert.deepEqual(result.jobs.map((j) => j.id), ["good"]);
    assertErrorList(result, expected.map(([where, part]) => [join(dir, where), part]));
  });
});

Deno.test("loadJobsDir: the same in a big folder (parse workers)", async () => {
  await withTempDir(async (dir) => {
    const count = 250;
    await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const id = `job_${String(i).padStart(3, "0")}`;
        return Deno.writeTextFile(join(dir, `${id}.yaml`), yaml(`id: ${id}`, ...TASKS));
      }),
    );
    const expected = await writeTroublesome(dir);
    const result = await loadJobsDir(dir);
    assert.equal(result.jobs.length, count);
    assertErrorList(result, expected.map(([where, part]) => [join(dir, where), part]));
  });
});
