/**
 * A seeded, bounded fuzz test of the job-file loader. A fixed corpus (the shipped
 * `jobs/*.yaml` and some tricky files) and a few hundred mutations of it per run (bytes
 * changed, inserted or cut, lines deleted, repeated or moved, tokens and value types
 * swapped, indentation changed) go through the loader as files do: bytes decoded, then
 * analyzed, then checked across files. Whatever the input:
 *
 * - nothing throws, and no file fails for an unforeseen reason ("cannot check this file");
 * - every error reads `file:line:col: message`, on one line, inside the file;
 * - the data is what `npm:yaml`'s toJS gives (the loader resolves aliases itself);
 * - the fast read (js-yaml, no positions) gives the data of the read with positions, and a
 *   load that reads fast first ends exactly as one that reads every file with positions;
 * - a big folder (parse workers) gives the same errors as the files one by one.
 *
 * Each run takes a new seed and prints it on failure; replay with `PETIT_FUZZ_SEED=<seed>`
 * (and `PETIT_FUZZ_CASES=<n>` for a longer run).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isCollection, isMap, isScalar, parseDocument, visit } from "yaml";
import { type ConfigError, formatConfigError } from "../../src/config/errors.ts";
import { analyzeJobFile, analyzeRead } from "../../src/config/loader/analysis.ts";
import { combine, listJobFiles, loadJobsDir } from "../../src/config/loader/mod.ts";
import { decodeJobText } from "../../src/config/read_job_file.ts";
import { YamlDocument } from "../../src/config/yaml_doc.ts";
import { FastYamlFile } from "../../src/config/yaml_fast.ts";
import { scaled } from "../time_scale.ts";

const SEED = Number(Deno.env.get("PETIT_FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 32));
const CASES = Number(Deno.env.get("PETIT_FUZZ_CASES") ?? 400);
/** Mutated files written to a folder at once, past the loader's PARALLEL_FROM (200). */
const FOLDER_FILES = 210;

const JOBS_DIR = fileURLToPath(new URL("../../jobs", import.meta.url));
const encoder = new TextEncoder();

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Files that have tripped YAML loaders: aliases, nesting, encodings, odd keys, templates. */
function trickyFiles(): string[] {
  const chain = ["id: chain", "tasks:"];
  for (let i = 0; i < 200; i++) {
    chain.push(`  - id: t${i}`, "    command: echo", `    args: ["{{ tasks.t${i - 1}.stdout }}"]`);
    if (i > 0) chain.push(`    depends_on: [t${i - 1}]`);
  }
  const bomb = ["id: bomb", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 9; i++) {
    bomb.push(`l${i}: &l${i} [${Array(7).fill(`*l${i - 1}`).join(", ")}]`);
  }
  return [
    chain.join("\n"),
    [...bomb, "tasks: [{id: t, command: echo}]"].join("\n"),
    [
      "id: aliases",
      "x-env: &env {A: 1, B: two}",
      "x-retry: &retry {max_attempts: 2, delay: 5s}",
      "environment: *env",
      "tasks:",
      "  - &task {id: a, command: echo, retry: *retry, environment: *env}",
      "  - {id: b, command: echo, depends_on: [a], retry: *retry}",
      "  - <<: *task",
      "    id: c",
    ].join("\n"),
    "id: cyc\nname: &n [1, *n]\ntasks: [{id: t, command: *missing}]\n",
    `id: deep\nname: ${"[".repeat(120)}${"]".repeat(120)}\ntasks: [{id: t, command: x}]\n`,
    "\uFEFFid: bom\r\ntasks:\r\n  - id: t\r\n    command: echo\r\n",
    "id: tabs\ntasks:\n\t- id: t\n\t  command: echo\n",
    [
      "id: weird_keys",
      "__proto__: {polluted: true}",
      "constructor: x",
      "? [complex, key]",
      ": value",
      "1: one",
      "null: n",
      "tasks: [{id: t, command: echo, environment: {'A=B': 1, '': 2, OK: \"a\\0b\"}}]",
    ].join("\n"),
    [
      "id: everything",
      "name: Everything at once",
      "schedule: {cron: '*/5 * * * *', timezone: Europe/Berlin}",
      "max_concurrency: 2",
      "catchup: all",
      "catchup_limit: 3",
      "config: {target: prod, n: 3, on: true, nothing: null}",
      "depends_on: [a, {job: b, condition: within_window, window: 1h}, {job_id: c}]",
      "tasks:",
      "  - id: py",
      "    type: python",
      "    inline: true",
      "    script: |",
      "      print('{{ config.target }}')",
      "    timeout: 5m",
      "  - id: sh",
      "    type: shell",
      "    script: echo {{ tasks.py.stdout }} {{ tasks.py.outputs.k }}",
      "    depends_on: [py]",
      "    condition: always",
      "    retry: {max_attempts: 3, backoff: exponential, max_delay: 90, condition: never}",
    ].join("\n"),
    "id: -5m\ntasks:\n  - id: ..\n    command: echo\n",
    `id: long\ntasks:\n  - id: t\n    command: echo\n    args: [${"x".repeat(140_000)}]\n`,
    "id: a\n---\nid: b\n",
    "# only a comment\n",
    "",
    "~\n",
    "- a\n- b\n",
    "id: émoji_🎉\ntasks: [{id: ü, command: 'echo ✓'}]\n",
    "id: dup\nid: dup\ntasks: []\ntasks: {}\n",
    "%YAML 1.1\n---\nid: directive\ntasks: [{id: t, command: !!str echo}]\n",
  ];
}

/** Tokens to put in place of another: aliases, types, templates, quotes, odd ids. */
const TOKENS = [
  "*a",
  "&a",
  "*nope",
  "&a [*a]",
  "[]",
  "{}",
  "[a, {b: c}]",
  "null",
  "~",
  "-1",
  "0",
  "1e309",
  "0x10",
  "true",
  '"\\0"',
  '"\\uD800"',
  '"{{ tasks.t.stdout }}"',
  "{{ config.x }}",
  "{{ config.constructor }}",
  "---",
  "...",
  "? ",
  "!!binary",
  "!custom",
  "<<",
  "__proto__",
  "-5m",
  "..",
  "'",
  '"',
  "|",
  ">-",
  "#",
  "- ",
  ": ",
  "\t",
  "🎉",
  "@every 0s",
  "* * *",
  "x".repeat(300),
  "[".repeat(80),
];

/** The lines of a text, to swap and move. */
const lines = (text: string) => text.split("\n");

/** One random change of a file's bytes. */
function mutate(next: () => number, bytes: Uint8Array): Uint8Array {
  const pick = (n: number) => Math.floor(next() * n);
  const text = new TextDecoder().decode(bytes);
  const asText = (t: string) => encoder.encode(t);
  const ls = lines(text);
  const line = pick(ls.length);
  switch (pick(10)) {
    case 0: { // change a byte
      const out = bytes.slice();
      if (out.length > 0) out[pick(out.length)] = pick(256);
      return out;
    }
    case 1: { // insert bytes, some of them not UTF-8
      const at = pick(bytes.length + 1);
      const junk = Array.from({ length: 1 + pick(4) }, () => pick(256));
      return new Uint8Array([...bytes.subarray(0, at), ...junk, ...bytes.subarray(at)]);
    }
    case 2: { // cut bytes
      const at = pick(bytes.length + 1);
      return new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + pick(20))]);
    }
    case 3: // delete a line
      return asText(ls.filter((_, i) => i !== line).join("\n"));
    case 4: // repeat a line
      return asText([...ls.slice(0, line + 1), ls[line], ...ls.slice(line + 1)].join("\n"));
    case 5: { // move a line
      const [moved] = ls.splice(line, 1);
      ls.splice(pick(ls.length + 1), 0, moved);
      return asText(ls.join("\n"));
    }
    case 6: { // swap a token for another
      const tokens = [...text.matchAll(/[A-Za-z0-9_.\-*&{}\[\]"'|>]+/g)];
      if (tokens.length === 0) return asText(TOKENS[pick(TOKENS.length)]);
      const t = tokens[pick(tokens.length)];
      const start = t.index;
      return asText(
        text.slice(0, start) + TOKENS[pick(TOKENS.length)] + text.slice(start + t[0].length),
      );
    }
    case 7: { // change a value's type
      const m = /^(\s*-?\s*[\w.]+:)\s*(.*)$/.exec(ls[line]);
      if (!m) return bytes;
      const forms = [`[${m[2]}]`, `{k: ${m[2]}}`, "123", "true", "", `"${m[2]}"`, `- ${m[2]}`];
      ls[line] = `${m[1]} ${forms[pick(forms.length)]}`;
      return asText(ls.join("\n"));
    }
    case 8: { // change indentation
      ls[line] = pick(2) ? `  ${ls[line]}` : ls[line].replace(/^ {1,2}/, "");
      return asText(ls.join("\n"));
    }
    default: { // insert a token at a random place
      const at = pick(text.length + 1);
      return asText(text.slice(0, at) + TOKENS[pick(TOKENS.length)] + text.slice(at));
    }
  }
}

/** The text a file's positions refer to, even when it is not valid UTF-8. */
function looseText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Every problem with an error list: form, position inside the file, one line, no crash. */
function checkErrors(errors: readonly ConfigError[], texts: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const e of errors) {
    const line = formatConfigError(e);
    const text = texts.get(e.file);
    if (text === undefined) {
      problems.push(`error of an unknown file: ${line}`);
      continue;
    }
    if (!/^[^\n]+:\d+:\d+: [^\n]+$/.test(line)) {
      problems.push(`not file:line:col: message: ${line}`);
    }
    const fileLines = text.split("\n");
    if (!Number.isInteger(e.line) || e.line < 1 || e.line > fileLines.length) {
      problems.push(`line outside the file (${fileLines.length} lines): ${line}`);
    } else if (!Number.isInteger(e.col) || e.col < 1 || e.col > fileLines[e.line - 1].length + 1) {
      problems.push(`column outside line ${e.line}: ${line}`);
    }
    if (e.message.startsWith("cannot check this file")) problems.push(`unforeseen: ${line}`);
  }
  return problems;
}

/**
 * Whether some map of the document has a key that is no plain value: a list, a map, or a
 * tagged scalar such as `!!binary` (toJS writes those as YAML text, the loader as JSON).
 */
function hasObjectKey(text: string): boolean {
  let found = false;
  visit(parseDocument(text), {
    Map(_, map) {
      const objectKey = (key: unknown) =>
        isCollection(key) || (isScalar(key) && typeof key.value === "object" && key.value !== null);
      if (isMap(map) && map.items.some((p) => objectKey(p.key))) found = true;
    },
  });
  return found;
}

/** The data toJS gives, or undefined where toJS itself fails or differs by design. */
function theirData(text: string): { data: unknown } | undefined {
  try {
    if (hasObjectKey(text)) return undefined;
    return { data: parseDocument(text).toJS({ maxAliasCount: -1 }) ?? null };
  } catch {
    return undefined;
  }
}

/** Runs `body`, saying which seed to replay if it fails. */
async function withSeed(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (err) {
    console.error(`\nloader fuzz test failed: replay with PETIT_FUZZ_SEED=${SEED}\n`);
    throw err;
  }
}

async function corpus(): Promise<Uint8Array[]> {
  const shipped = await Promise.all((await listJobFiles(JOBS_DIR)).map((f) => Deno.readFile(f)));
  assert.ok(shipped.length > 0, "the shipped jobs/*.yaml");
  return [...shipped, ...trickyFiles().map((t) => encoder.encode(t))];
}

Deno.test(`loader fuzz: ${CASES} mutated job files never crash; every error is positioned`, async () => {
  await withSeed(async () => {
    const started = performance.now();
    const next = random(SEED);
    const base = await corpus();
    let fastReads = 0;
    for (let n = 0; n < CASES; n++) {
      // One mutated file, or two checked together (ids, dependencies across files).
      const count = next() < 0.2 ? 2 : 1;
      const files = Array.from({ length: count }, (_, k) => {
        let bytes = base[Math.floor(next() * base.length)];
        const changes = 1 + Math.floor(next() * 4);
        for (let c = 0; c < changes; c++) bytes = mutate(next, bytes);
        return { file: `case${n}_${k}.yaml`, bytes };
      });
      const texts = new Map(files.map((f) => [f.file, looseText(f.bytes)]));
      let errors: readonly ConfigError[];
      try {
        const analyzed = files.map((f) => analyzeRead(f.file, decodeJobText(f.file, f.bytes)));
        const result = combine(analyzed);
        errors = result.errors;
        const placed = combine(files.map((f) => {
          const read = decodeJobText(f.file, f.bytes);
          return read.text === undefined
            ? analyzeRead(f.file, read)
            : analyzeJobFile(f.file, read.text, "positions");
        }));
        assert.deepEqual(result, placed, "read fast first, or with positions: one outcome");
      } catch (err) {
        if (err instanceof assert.AssertionError) {
          err.message += `\ncase ${n}:\n${[...texts.values()].join("\n---\n").slice(0, 4000)}`;
          throw err;
        }
        assert.fail(
          `case ${n} threw ${(err as Error).stack}\n--- input ---\n${
            [...texts.values()].join("\n--- next file ---\n").slice(0, 4000)
          }`,
        );
      }
      const problems = checkErrors(errors, texts);
      assert.deepEqual(
        problems,
        [],
        `case ${n}:\n${[...texts.values()].join("\n---\n").slice(0, 4000)}`,
      );
      // The loader's data is npm:yaml's.
      for (const f of files) {
        const read = decodeJobText(f.file, f.bytes);
        if (read.text === undefined) continue;
        const ours = new YamlDocument(f.file, read.text);
        const fast = FastYamlFile.read(f.file, read.text);
        if (fast) {
          assert.deepEqual(
            ours.syntaxErrors,
            [],
            `case ${n}: js-yaml reads\n${read.text.slice(0, 2000)}`,
          );
          assert.deepEqual(
            fast.data,
            ours.data,
            `case ${n}: fast data of\n${read.text.slice(0, 2000)}`,
          );
          fastReads++;
        }
        const theirs = ours.syntaxErrors.length === 0 ? theirData(read.text) : undefined;
        if (theirs) {
          assert.deepEqual(
            ours.data ?? null,
            theirs.data,
            `case ${n}: data of\n${read.text.slice(0, 2000)}`,
          );
        }
      }
    }
    // The fast read is tried, not skipped: most mutations leave a file it reads.
    assert.ok(fastReads > CASES / 20, `${fastReads} fast reads in ${CASES} cases`);
    const ms = performance.now() - started;
    // The bound of a default run (400 cases, each loaded twice: fast first, and with
    // positions) is 40 s; a longer run gets more.
    assert.ok(ms < scaled(100 * Math.max(CASES, 400)), `${CASES} cases took ${ms.toFixed(0)} ms`);
  });
});

Deno.test("loader fuzz: a big folder of mutated files (parse workers) gives the same errors", async () => {
  await withSeed(async () => {
    const next = random(SEED ^ 0x5eed);
    const base = await corpus();
    const dir = await Deno.makeTempDir({ prefix: "petit-fuzz-" });
    try {
      const texts = new Map<string, string>();
      const analyzed = [];
      for (let n = 0; n < FOLDER_FILES; n++) {
        let bytes = base[Math.floor(next() * base.length)];
        for (let c = 0; c < 1 + Math.floor(next() * 3); c++) bytes = mutate(next, bytes);
        const file = join(dir, `f${String(n).padStart(3, "0")}.yaml`);
        await Deno.writeFile(file, bytes);
        texts.set(file, looseText(bytes));
        analyzed.push(analyzeRead(file, decodeJobText(file, bytes)));
      }
      const inWorkers = await loadJobsDir(dir);
      assert.deepEqual(checkErrors(inWorkers.errors, texts), []);
      assert.deepEqual(
        inWorkers.errors.map(formatConfigError),
        combine(analyzed).errors.map(formatConfigError),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
