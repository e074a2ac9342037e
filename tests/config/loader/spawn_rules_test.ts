/**
 * Tests of spawn_rules.ts and of the schema's rules for what a process can be given: files
 * whose tasks could never start are refused when they are loaded. Ids that read as options
 * or paths, NUL characters, `=` in variable names, arguments over Linux's MAX_ARG_STRLEN.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatConfigError } from "../../../src/config/errors.ts";
import { MAX_ARG_STRLEN } from "../../../src/config/loader/spawn_rules.ts";
import { assertErrors, load, onlyJob, yaml } from "./helpers.ts";

/** The errors of one file as `file:line:col: message`. */
function errorsOf(text: string): string[] {
  return load(text).errors.map(formatConfigError);
}

Deno.test("errors: job and task ids may not start with - or .", () => {
  for (const bad of ["-5m", "--help", ".", "..", ".hidden", "-"]) {
    assertErrors(load(yaml(`id: "${bad}"`, "tasks:", "  - id: t", "    command: echo")), [[
      "job.yaml:1:5",
      'job id may only contain letters, digits, "_", "." and "-", and must not start with "-" or "."',
    ]]);
    assertErrors(load(yaml("id: a", "tasks:", `  - id: "${bad}"`, "    command: echo")), [[
      "job.yaml:3:9",
      'task id may only contain letters, digits, "_", "." and "-", and must not start with "-"',
    ]]);
  }
  for (const good of ["a", "5m", "_x", "a.b", "a-", "a..b", "v1.2-rc"]) {
    const job = onlyJob(yaml(`id: "${good}"`, "tasks:", `  - id: "${good}"`, "    command: echo"));
    assert.equal(job.id, good);
  }
});

Deno.test("errors: an upstream job or task named -x or .. is an unknown one", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: t",
    "    command: echo",
    '    depends_on: ["-t"]',
  ));
  assertErrors(result, [["job.yaml:5:18", 'unknown task "-t"']]);
});

Deno.test("errors: environment names with = or NUL, empty names, values with NUL", () => {
  const result = load(yaml(
    "id: a",
    "environment:",
    '  "A=B": x',
    '  "": y',
    '  "C\\0D": z',
    '  OK: "a\\0b"',
    "tasks:",
    "  - id: t",
    "    command: echo",
    "    environment:",
    '      "X=": 1',
  ));
  const names = 'environment variable names must not be empty or contain "=" or a NUL character';
  assertErrors(result, [
    ["job.yaml:3:3", `environment: ${names}, got "A=B"`],
    ["job.yaml:4:3", `environment: ${names}, got ""`],
    ["job.yaml:5:3", `environment: ${names}, got "C\\u0000D"`],
    ["job.yaml:6:7", "environment.OK: must not contain a NUL character (\\0)"],
    ["job.yaml:11:7", `tasks[0].environment: ${names}, got "X="`],
  ]);
});

Deno.test("errors: a NUL in a command, an argument, a script or a working_dir", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: c",
    '    command: "ec\\0ho"',
    '    args: [ok, "x\\0y", 3]',
    '    working_dir: "/tmp\\0"',
    "  - id: s",
    "    type: shell",
    '    script: "echo \\0"',
  ));
  assertErrors(result, [
    ["job.yaml:4:14", "tasks[0].command: must not contain a NUL character"],
    ["job.yaml:5:16", "tasks[0].args[1]: must not contain a NUL character"],
    ["job.yaml:6:18", "tasks[0].working_dir: must not contain a NUL character"],
    ["job.yaml:9:13", "tasks[1].script: must not contain a NUL character"],
  ]);
});

Deno.test("errors: one argument or script over MAX_ARG_STRLEN bytes can never start", () => {
  // MAX_ARG_STRLEN counts the terminating NUL: 131,071 bytes fit, 131,072 do not.
  const fits = "a".repeat(MAX_ARG_STRLEN - 1);
  const over = "a".repeat(MAX_ARG_STRLEN);
  // 3 bytes a character in UTF-8: the limit is in bytes.
  const wide = "€".repeat(Math.ceil(MAX_ARG_STRLEN / 3));
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: c",
    "    command: echo",
    `    args: [${fits}, ${over}, ${wide}]`,
    "  - id: s",
    "    type: shell",
    `    script: ${over}`,
    "  - id: p",
    "    type: python",
    "    inline: true",
    `    script: ${over}`,
    "  - id: f",
    "    type: python",
    `    script: ${over}`,
  ));
  const limit = `Linux passes at most ${MAX_ARG_STRLEN - 1} bytes in one (MAX_ARG_STRLEN)`;
  // `    args: [` is 11 characters; each argument is followed by ", ".
  const arg1 = 12 + fits.length + 2;
  const arg2 = arg1 + over.length + 2;
  assertErrors(result, [
    [`job.yaml:5:${arg1}`, `tasks[0].args[1] is ${MAX_ARG_STRLEN} bytes`, limit, "in a file"],
    [`job.yaml:5:${arg2}`, `tasks[0].args[2] is ${wide.length * 3} bytes`],
    ["job.yaml:8:13", "tasks[1].script is", "/bin/sh -c", "put the script in a file"],
    ["job.yaml:12:13", "tasks[2].script is", "python3 -c", "drop inline: true"],
  ]);
});

Deno.test("errors: an environment entry NAME=value over MAX_ARG_STRLEN bytes", () => {
  const name = "BIG";
  const fits = "v".repeat(MAX_ARG_STRLEN - name.length - 2);
  const errors = errorsOf(yaml(
    "id: a",
    "environment:",
    `  ${name}: ${fits}`,
    `  ${name}2: ${fits}`,
    "tasks:",
    "  - id: t",
    "    command: echo",
  ));
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0], /^job\.yaml:4:9: environment\.BIG2 is \d+ bytes; a variable is passed/);
});

Deno.test("errors: templates count as nothing toward MAX_ARG_STRLEN", () => {
  const text = "{{ config.x }}".repeat(Math.ceil(MAX_ARG_STRLEN / 10));
  const job = onlyJob(yaml(
    "id: a",
    "config: {x: 1}",
    "tasks:",
    "  - id: t",
    "    command: echo",
    `    args: ["${text}"]`,
  ));
  assert.equal(job.tasks[0].command?.args[0], text);
});
