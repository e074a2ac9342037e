/**
 * Tests of yaml_doc.ts: a YAML file parsed to plain data, its syntax errors, and the
 * positions (1-based line and column) of keys, values and characters inside strings.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { YamlDocument } from "../../src/config/yaml_doc.ts";

/** A YAML text from lines (easier to count lines and columns in). */
function yaml(...lines: string[]): string {
  return lines.join("\n") + "\n";
}

/** A job with two tasks; the second has a list, a flow list and a key without a value. */
const JOB = yaml(
  "id: backup", //                    line 1
  "tasks:", //                        line 2
  "  - id: dump", //                  line 3
  "    command: pg_dump", //          line 4
  "  - id: upload", //                line 5
  "    depends_on: [dump, other]", // line 6
  "    args:", //                     line 7
);

Deno.test("yamlDoc: data is the document as plain values; file is kept as given", () => {
  const doc = new YamlDocument("jobs/backup.yaml", JOB);
  assert.equal(doc.file, "jobs/backup.yaml");
  assert.deepEqual(doc.syntaxErrors, []);
  assert.deepEqual(doc.data, {
    id: "backup",
    tasks: [
      { id: "dump", command: "pg_dump" },
      { id: "upload", depends_on: ["dump", "other"], args: null },
    ],
  });
});

Deno.test("yamlDoc: anchors and aliases resolve to their values", () => {
  const doc = new YamlDocument("f.yaml", yaml("base: &env {A: 1}", "copy: *env"));
  assert.deepEqual(doc.data, { base: { A: 1 }, copy: { A: 1 } });
});

Deno.test("yamlDoc: an empty or comment-only file has no data, no errors, positions at 1:1", () => {
  for (const text of ["", "# only a comment\n", "\n\n"]) {
    const doc = new YamlDocument("f.yaml", text);
    assert.equal(doc.data, undefined, JSON.stringify(text));
    assert.deepEqual(doc.syntaxErrors, []);
    assert.deepEqual(doc.valueAt(["id"]), { line: 1, col: 1 });
    assert.deepEqual(doc.keyAt(["id"]), { line: 1, col: 1 });
  }
});

Deno.test("yamlDoc: a syntax error is positioned, says so and keeps its first line only", () => {
  const doc = new YamlDocument("f.yaml", yaml("id: a", "tasks: [x"));
  assert.equal(doc.data, undefined, "data is not given when the file has syntax errors");
  assert.equal(doc.syntaxErrors.length, 1);
  const [error] = doc.syntaxErrors;
  assert.deepEqual({ file: error.file, line: error.line, col: error.col }, {
    file: "f.yaml",
    line: 3,
    col: 1,
  });
  assert.match(error.message, /^YAML syntax error: Flow sequence .* must .* end with a \]$/);
  // The parser's own "at line L, column C:" and its source excerpt are dropped.
  assert.ok(!error.message.includes("\n"), error.message);
  assert.doesNotMatch(error.message, /at line \d+, column \d+/);
});

Deno.test("yamlDoc: every syntax error of the file is listed, in order", () => {
  const doc = new YamlDocument("f.yaml", yaml("id: a", "   bad: : x"));
  assert.ok(doc.syntaxErrors.length >= 2, JSON.stringify(doc.syntaxErrors));
  assert.ok(doc.syntaxErrors.every((e) => e.message.startsWith("YAML syntax error: ")));
  const positions = doc.syntaxErrors.map((e) => [e.line, e.col]);
  assert.deepEqual(positions, [...positions].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  assert.equal(doc.data, undefined);
});

Deno.test("yamlDoc: a second document after --- is an error at its start", () => {
  const doc = new YamlDocument("f.yaml", yaml("id: a", "---", "id: b"));
  assert.deepEqual(doc.syntaxErrors, [{
    file: "f.yaml",
    line: 2,
    col: 1,
    message: "a job file holds one YAML document; found another after ---",
  }]);
  assert.equal(doc.data, undefined);
});

Deno.test("yamlDoc: valueAt() points at the value of a key, a nested key and a list item", () => {
  const doc = new YamlDocument("f.yaml", JOB);
  assert.deepEqual(doc.valueAt(["id"]), { line: 1, col: 5 });
  assert.deepEqual(doc.valueAt(["tasks"]), { line: 3, col: 3 });
  assert.deepEqual(doc.valueAt(["tasks", 1]), { line: 5, col: 5 });
  assert.deepEqual(doc.valueAt(["tasks", 0, "command"]), { line: 4, col: 14 });
  assert.deepEqual(doc.valueAt(["tasks", 1, "depends_on"]), { line: 6, col: 17 });
  assert.deepEqual(doc.valueAt(["tasks", 1, "depends_on", 1]), { line: 6, col: 24 });
});

Deno.test("yamlDoc: keyAt() points at the key; a list item has none, so at the item", () => {
  const doc = new YamlDocument("f.yaml", JOB);
  assert.deepEqual(doc.keyAt(["id"]), { line: 1, col: 1 });
  assert.deepEqual(doc.keyAt(["tasks"]), { line: 2, col: 1 });
  assert.deepEqual(doc.keyAt(["tasks", 0, "command"]), { line: 4, col: 5 });
  assert.deepEqual(doc.keyAt(["tasks", 1]), { line: 5, col: 5 });
  assert.deepEqual(doc.keyAt(["tasks", 1, "depends_on", 0]), { line: 6, col: 18 });
});

Deno.test("yamlDoc: the empty path is the whole document, at its start", () => {
  const doc = new YamlDocument("f.yaml", yaml("# leading comment", "id: a"));
  assert.deepEqual(doc.valueAt([]), { line: 2, col: 1 });
  assert.deepEqual(doc.keyAt([]), { line: 2, col: 1 });
  assert.equal(doc.has([]), true);
});

Deno.test("yamlDoc: a path that is not there falls back to the nearest existing ancestor", () => {
  const doc = new YamlDocument("f.yaml", JOB);
  // A missing key in the second task: the task's map.
  assert.deepEqual(doc.valueAt(["tasks", 1, "timeout"]), { line: 5, col: 5 });
  assert.deepEqual(doc.keyAt(["tasks", 1, "timeout"]), { line: 5, col: 5 });
  // A list index past the end: the list.
  assert.deepEqual(doc.valueAt(["tasks", 5, "id"]), { line: 3, col: 3 });
  // A missing top-level key: the document.
  assert.deepEqual(doc.valueAt(["schedule", "cron"]), { line: 1, col: 1 });
  // Going through a scalar: the scalar.
  assert.deepEqual(doc.valueAt(["id", "deeper"]), { line: 1, col: 5 });
});

Deno.test("yamlDoc: a key written without a value: positions point at the key, has() is true", () => {
  const doc = new YamlDocument("f.yaml", JOB);
  assert.deepEqual(doc.valueAt(["tasks", 1, "args"]), { line: 7, col: 10 });
  assert.deepEqual(doc.keyAt(["tasks", 1, "args"]), { line: 7, col: 5 });
  assert.equal(doc.has(["tasks", 1, "args"]), true);
});

Deno.test("yamlDoc: has() is true only for paths that exist", () => {
  const doc = new YamlDocument("f.yaml", JOB);
  assert.equal(doc.has(["id"]), true);
  assert.equal(doc.has(["tasks", 0, "command"]), true);
  assert.equal(doc.has(["tasks", 1, "depends_on", 1]), true);
  assert.equal(doc.has(["name"]), false, "missing key");
  assert.equal(doc.has(["tasks", 2]), false, "index past the end");
  assert.equal(doc.has(["tasks", "id"]), false, "a key on a list");
  assert.equal(doc.has(["id", 0]), false, "an index on a scalar");
});

Deno.test("yamlDoc: insideString() finds a character inside a one-line plain or quoted string", () => {
  const doc = new YamlDocument(
    "f.yaml",
    yaml(
      "plain: run {{ x }}", //   value at col 8
      'double: "run {{ x }}"', // quote at col 9
      "single: 'run {{ x }}'", // quote at col 9
    ),
  );
  // "{{" is at offset 4 of the value "run {{ x }}".
  assert.deepEqual(doc.insideString(["plain"], 4), { line: 1, col: 12 });
  assert.deepEqual(doc.insideString(["double"], 4), { line: 2, col: 14 });
  assert.deepEqual(doc.insideString(["single"], 4), { line: 3, col: 14 });
  assert.deepEqual(doc.insideString(["plain"], 0), doc.valueAt(["plain"]));
});

Deno.test("yamlDoc: insideString() in a nested path (a list item of a task)", () => {
  const doc = new YamlDocument(
    "f.yaml",
    yaml("tasks:", "  - id: t", "    args: ['-v', '{{ config.level }}']"),
  );
  assert.deepEqual(doc.insideString(["tasks", 0, "args", 1], 0), { line: 3, col: 19 });
});

Deno.test("yamlDoc: insideString() falls back to valueAt() for block strings, lists, missing paths", () => {
  const doc = new YamlDocument(
    "f.yaml",
    yaml("block: |", "  run {{ x }}", "list: [a, b]"),
  );
  assert.deepEqual(doc.insideString(["block"], 4), doc.valueAt(["block"]));
  assert.deepEqual(doc.insideString(["block"], 4), { line: 1, col: 8 });
  assert.deepEqual(doc.insideString(["list"], 1), { line: 3, col: 7 });
  assert.deepEqual(doc.insideString(["nope"], 3), doc.valueAt(["nope"]));
});

Deno.test("yamlDoc: CRLF line endings count one line each", () => {
  const doc = new YamlDocument("f.yaml", "id: a\r\ntasks: b\r\n");
  assert.deepEqual(doc.data, { id: "a", tasks: "b" });
  assert.deepEqual(doc.valueAt(["tasks"]), { line: 2, col: 8 });
});

Deno.test("yamlDoc: process.env is the real environment again after parsing", () => {
  const before = process.env;
  new YamlDocument("f.yaml", JOB);
  new YamlDocument("f.yaml", yaml("id: a", "tasks: [x"));
  assert.equal(process.env, before);
});
