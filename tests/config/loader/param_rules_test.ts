/**
 * A job's `params:` in job files: the two forms, what the model gets, and every mistake as a
 * positioned error (names, patterns, defaults that do not match them, required params of a
 * scheduled job, `{{ params.X }}` of an unknown param).
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertErrors, load, TASKS, yaml } from "./helpers.ts";

Deno.test("params: a default alone or {default, description, pattern}; the model in file order", () => {
  const result = load(yaml(
    "id: etl",
    "params:",
    "  mode: full",
    "  retries: 3",
    "  day:",
    "    description: the day to load",
    '    pattern: "\\\\d{4}-\\\\d{2}-\\\\d{2}"',
    "  region: {default: eu, pattern: eu|us}",
    "tasks:",
    "  - id: t",
    "    command: echo",
    '    args: ["{{ params.day }}", "{{ params.mode }}"]',
  ));
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.jobs[0].params, [
    { name: "mode", default: "full", description: null, pattern: null },
    { name: "retries", default: "3", description: null, pattern: null },
    {
      name: "day",
      default: null,
      description: "the day to load",
      pattern: "\\d{4}-\\d{2}-\\d{2}",
    },
    { name: "region", default: "eu", description: null, pattern: "eu|us" },
  ]);
  // A job without params has none in the model.
  assert.equal(load(yaml("id: plain", ...TASKS)).jobs[0].params, undefined);
});

Deno.test("params: bad names, patterns, keys and defaults are positioned errors", () => {
  assertErrors(
    load(yaml(
      "id: etl",
      "params:",
      "  9lives: x",
      '  bad: {pattern: "("}',
      "  mode: {default: fast, pattern: full|quick}",
      "  typo: {defualt: 1}",
      "  list: [1, 2]",
      ...TASKS,
    )),
    [
      ["job.yaml:3:3", 'param names start with a letter or "_"', '"9lives"'],
      ["job.yaml:4:18", "params.bad.pattern: not a valid regular expression (Unterminated group)"],
      ["job.yaml:5:19", 'params.mode.default "fast" does not match its pattern full|quick'],
      ["job.yaml:6:10", 'unknown key "defualt" in params.typo (did you mean "default"?)'],
      ["job.yaml:7:9", "must be a default value, or a map {default, description, pattern}"],
    ],
  );
});

Deno.test("params: a scheduled job cannot have a required param (scheduled runs use defaults)", () => {
  assertErrors(
    load(yaml(
      "id: nightly",
      'schedule: "0 2 * * *"',
      "params:",
      "  mode: full",
      "  day: {description: which day}",
      ...TASKS,
    )),
    [[
      "job.yaml:5:3",
      'param "day" has no default, but the job has a schedule',
      "give it a default, or remove the schedule",
    ]],
  );
  // Without a schedule it is fine: manual runs must give it.
  assert.deepEqual(load(yaml("id: m", "params:", "  day: {}", ...TASKS)).errors, []);
});

Deno.test("params: {{ params.X }} must name a param of the job, in every templated field", () => {
  assertErrors(
    load(yaml(
      "id: etl",
      "params: {day: today}",
      "environment:",
      '  DAY: "{{ params.dya }}"',
      "tasks:",
      "  - id: t",
      "    type: shell",
      '    script: "echo {{ params.day }} {{ params.nope }}"',
    )),
    [
      ["job.yaml:4:9", 'unknown param "dya" in {{ params.dya }} (known params: day)'],
      ["job.yaml:8:36", 'unknown param "nope"'],
    ],
  );
  assertErrors(
    load(yaml("id: p", "tasks:", "  - id: t", "    command: echo", '    args: ["{{ params.x }}"]')),
    [["job.yaml:5:13", 'unknown param "x" in {{ params.x }} (the job has no params)']],
  );
  assertErrors(
    load(
      yaml("id: p", "tasks:", "  - id: t", "    command: echo", '    args: ["{{ params.a.b }}"]'),
    ),
    [["job.yaml:5:13", 'unknown template "{{ params.a.b }}"', "params.NAME"]],
  );
});

Deno.test("env_file and secrets: paths resolve against the job file's folder", () => {
  const result = load(
    yaml(
      "id: e",
      "env_file: app.env",
      "secrets: [API_TOKEN, DB_PASSWORD, API_TOKEN]",
      "tasks:",
      "  - id: t",
      "    command: echo",
      "    env_file: /etc/petit/t.env",
      "  - id: u",
      "    command: echo",
      "    env_file: ~/u.env",
    ),
    "/srv/jobs/e.yaml",
  );
  assert.deepEqual(result.errors, []);
  const job = result.jobs[0];
  assert.equal(job.envFile, "/srv/jobs/app.env");
  assert.deepEqual(job.secrets, ["API_TOKEN", "DB_PASSWORD"]);
  assert.equal(job.tasks[0].envFile, "/etc/petit/t.env");
  assert.equal(job.tasks[1].envFile, "~/u.env");
  assertErrors(
    load(yaml("id: e", 'env_file: ""', "secrets: [A=B]", ...TASKS)),
    [
      ["job.yaml:2:11", "env_file must not be empty"],
      ["job.yaml:3:11", 'environment variable names must not be empty or contain "="'],
    ],
  );
});
