/**
 * Tests of yaml_aliases.ts, through YamlDocument: alias mistakes and alias bombs are positioned
 * errors of the file (never exceptions), expansion is bounded, deep nesting is refused
 * before it can overflow the stack, and the data is what `npm:yaml`'s toJS gives.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseDocument } from "yaml";
import { formatConfigError } from "../../src/config/errors.ts";
import {
  ALIAS_VALUES_PER_VALUE,
  MAX_ALIAS_VALUES,
  MAX_DEPTH,
} from "../../src/config/yaml_aliases.ts";
import { YamlDocument } from "../../src/config/yaml_doc.ts";
import { assertLinear } from "../growth.ts";
import { scaled } from "../time_scale.ts";

/** A YAML text from lines (easier to count lines and columns in). */
function yaml(...lines: string[]): string {
  return lines.join("\n") + "\n";
}

/** The errors of a text as `line:col: message`. */
function errors(text: string): string[] {
  return new YamlDocument("f.yaml", text).syntaxErrors.map((e) =>
    formatConfigError(e).replace(/^f\.yaml:/, "")
  );
}

/** Billion laughs: `levels` anchors, each a list of `width` aliases to the one before. */
function aliasBomb(levels: number, width = 9): string {
  const lines = ["id: bomb", `l0: &l0 [${Array(width).fill('"lol"').join(", ")}]`];
  for (let i = 1; i < levels; i++) {
    lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(", ")}]`);
  }
  return yaml(...lines, "tasks:", "  - id: t", "    command: echo");
}

Deno.test("yamlDoc: an alias without an anchor is an error at the alias, not an exception", () => {
  const text = yaml("id: a", "name: *nope", "tasks:", "  - id: t", "    command: echo");
  assert.deepEqual(errors(text), ["2:7: YAML alias *nope has no anchor &nope before it"]);
  assert.equal(new YamlDocument("f.yaml", text).data, undefined);
});

Deno.test("yamlDoc: an alias before its anchor is unresolved too; every such alias is listed", () => {
  assert.deepEqual(errors(yaml("a: *x", "b: &x 1", "c: [*y, *x]")), [
    "1:4: YAML alias *x has no anchor &x before it",
    "3:5: YAML alias *y has no anchor &y before it",
  ]);
});

Deno.test("yamlDoc: an alias bomb is one error at the alias that tips it, found at once", () => {
  // 9^9 = 387 million strings once expanded.
  const start = performance.now();
  const doc = new YamlDocument("f.yaml", aliasBomb(10));
  const ms = performance.now() - start;
  assert.equal(doc.data, undefined);
  assert.equal(doc.syntaxErrors.length, 1, JSON.stringify(doc.syntaxErrors));
  const [error] = doc.syntaxErrors;
  // Up to l4, aliases add 74,682 values; the first *l4 in l5's list (line 7) adds 66,429.
  assert.deepEqual([error.line, error.col], [7, 10], formatConfigError(error));
  assert.match(error.message, /^YAML alias \*l4 makes this file's aliases expand to more than/);
  assert.match(error.message, /use fewer or smaller aliases/);
  assert.ok(ms < scaled(2000), `took ${ms.toFixed(0)} ms`);
});

Deno.test("yamlDoc: an alias inside the value it names is a cycle, not an endless value", () => {
  assert.deepEqual(errors(yaml("a: &a [1, *a]")), [
    "1:11: YAML alias *a is inside the value it refers to (a cycle)",
  ]);
  assert.deepEqual(errors(yaml("a: &a {b: {c: *a}}")), [
    "1:15: YAML alias *a is inside the value it refers to (a cycle)",
  ]);
});

Deno.test("yamlDoc: one anchor used by 20,000 tasks is fine (the parser's own count refused it)", () => {
  const file = (n: number) => {
    const lines = ["id: many", "x-env: &env {A: 1, B: two}", "tasks:"];
    for (let i = 0; i < n; i++) {
      lines.push(`  - id: t${i}`, "    command: echo", "    environment: *env");
    }
    return yaml(...lines);
  };
  let doc: YamlDocument | null = null;
  // npm:yaml's toJS looks each alias up by a scan of all before it (40,000 took 70 s): the
  // loader's own resolution must grow linearly, 2,000 then 20,000 uses.
  assertLinear(file, (text) => (doc = new YamlDocument("f.yaml", text)), 2_000);
  const last = doc as YamlDocument | null;
  assert.deepEqual(last?.syntaxErrors, []);
  const data = last?.data as { tasks: { environment: unknown }[] };
  assert.equal(data.tasks.length, 20_000);
  assert.deepEqual(data.tasks[19_999].environment, { A: 1, B: "two" });
});

Deno.test("yamlDoc: aliases may add MAX_ALIAS_VALUES values, or more in a big file", () => {
  // An anchor of 1,000 values, used `uses` times: 999 values added per use.
  const file = (uses: number, padding = 0) =>
    yaml(
      `big: &big [${Array(1000).fill("x").join(", ")}]`,
      `pad: [${Array(padding).fill("p").join(", ")}]`,
      `uses: [${Array(uses).fill("*big").join(", ")}]`,
    );
  const fits = Math.floor(MAX_ALIAS_VALUES / 999);
  assert.deepEqual(errors(file(fits)), []);
  assert.equal(errors(file(fits + 1)).length, 1);
  // With enough values of its own, a file may expand further.
  const padding = Math.ceil(((fits + 1) * 999) / ALIAS_VALUES_PER_VALUE);
  assert.deepEqual(errors(file(fits + 1, padding)), []);
});

/** `name:` holding lists nested `depth` deep, in block style. */
function nested(depth: number): string {
  const lines = ["id: deep", "name:"];
  for (let i = 1; i <= depth; i++) lines.push(`${" ".repeat(i)}-`);
  lines[lines.length - 1] += " x";
  return yaml(...lines);
}

Deno.test("yamlDoc: values nested deeper than MAX_DEPTH are an error, not a stack overflow", () => {
  // At the first value too deep: the list on line 66 (the root map is level 1).
  const found = errors(nested(300));
  assert.deepEqual(found, [`66:65: values are nested more than ${MAX_DEPTH} levels deep`]);
  // The root map and `name` make 2 levels: lists MAX_DEPTH - 2 deep are just inside.
  assert.deepEqual(errors(nested(MAX_DEPTH - 2)), []);
  assert.equal(errors(nested(MAX_DEPTH - 1)).length, 1);
  // So deep that the parser's own recursion fails: still an error of the file.
  assert.ok(errors(nested(5000)).length > 0);
});

Deno.test("yamlDoc: aliases that nest deeper than MAX_DEPTH once expanded are an error", () => {
  const lines = [`a0: &a0 [x]`];
  for (let i = 1; i <= MAX_DEPTH; i++) lines.push(`a${i}: &a${i} [*a${i - 1}]`);
  const found = errors(yaml(...lines));
  assert.equal(found.length, 1, found.join("\n"));
  assert.match(found[0], /nests values more than 64 levels deep/);
});

Deno.test("yamlDoc: data is what npm:yaml's toJS gives (aliases, keys, scalars, __proto__)", () => {
  const texts = [
    yaml("base: &env {A: 1, B: [x, y]}", "copy: *env", "list: [*env, *env]"),
    yaml("? complex", ": 1", "null: n", "1: one", "true: yes", "1.5: f", "'': empty"),
    yaml("__proto__: {polluted: true}", "constructor: x"),
    yaml("s: 'a'", 'd: "b\\tc"', "p: plain text", "n: 0x1F", "o: 0o17", "f: .inf", "e: 1e3"),
    yaml("block: |", "  line 1", "  line 2", "folded: >", "  a", "  b", "empty:"),
    yaml("- &a 1", "- *a", "- [&b x, *b]"),
    yaml("a: &a", "  b: 1", "c: *a", "d: &a 2", "e: *a"),
    yaml(
      "%YAML 1.1",
      "---",
      "base: &b {a: 1, b: 2}",
      "x:",
      "  <<: *b",
      "  b: 3",
      "y: {<<: [*b, {c: 4}]}",
    ),
    "just a scalar\n",
    "",
  ];
  for (const text of texts) {
    const ours = new YamlDocument("f.yaml", text);
    assert.deepEqual(ours.syntaxErrors, [], text);
    const theirs = parseDocument(text).toJS({ maxAliasCount: -1 });
    assert.deepEqual(ours.data ?? null, theirs ?? null, text);
  }
  const proto = new YamlDocument("f.yaml", texts[2]).data as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, "__proto__ is a plain key");
  assert.deepEqual(Object.keys(proto), ["__proto__", "constructor"]);
});
