import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError, JobsDirError } from "../../src/config/errors.ts";
import {
  analyzeClaimed,
  jobDir,
  listJobFiles,
  loadJobsDir,
  loadJobTexts as loadTexts,
  type LoadResult,
} from "../../src/config/loader.ts";
import type { CommandSpec, JobSpec, TaskSpec } from "../../src/core/model.ts";
import { jsonSchemaErrors } from "./helpers.ts";

// ---- helpers ----

/**
 * The loader's loadJobTexts, plus a check that the JSON Schema given to editors accepts every
 * file the loader accepts, so a schema that is stricter than the loader fails these tests.
 */
function loadJobTexts(sources: readonly { file: string; text: string }[]): LoadResult {
  const result = loadTexts(sources);
  result.files.forEach((f, i) => {
    if (f.job) assert.deepEqual(jsonSchemaErrors(sources[i].text), [], `${f.file} (JSON Schema)`);
  });
  return result;
}

/** A YAML text from lines (easier to count lines and columns in). */
function yaml(...lines: string[]): string {
  return lines.join("\n") + "\n";
}

/** A minimal valid task list, for files whose point is elsewhere. */
const TASKS = ["tasks:", "  - id: t", "    command: echo"];

function load(text: string, file = "job.yaml"): LoadResult {
  return loadJobTexts([{ file, text }]);
}

/**
 * Asserts the exact list of errors: each expected entry is `file:line:col` followed by
 * substrings the message must contain.
 */
function assertErrors(result: LoadResult, expected: [string, ...string[]][]): void {
  assertErrorList(result, expected);
  assert.equal(result.jobs.length, 0, "an invalid file must not produce a job");
}

/** Like assertErrors, for sources where some files are valid. */
function assertErrorList(result: LoadResult, expected: [string, ...string[]][]): void {
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
function valid(...sources: { file: string; text: string }[]): JobSpec[] {
  const result = loadJobTexts(sources);
  assert.deepEqual(result.errors.map(formatConfigError), []);
  return result.jobs;
}

function onlyJob(text: string, file = "/jobs/job.yaml"): JobSpec {
  const jobs = valid({ file, text });
  assert.equal(jobs.length, 1);
  return jobs[0];
}

function task(job: JobSpec, id: string): TaskSpec {
  const found = job.tasks.find((t) => t.id === id);
  assert.ok(found, `task ${id} not found`);
  return found;
}

/** The command of a YAML task (always set for tasks loaded from files). */
function commandOf(t: TaskSpec): CommandSpec {
  assert.ok(t.command, `task ${t.id} has no command`);
  assert.equal(t.custom, null);
  return t.command;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "petit-loader-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---- YAML level ----

Deno.test("errors: YAML syntax error is reported with its position", () => {
  const result = load(yaml("id: a", "tasks:", "  - id: x", "    command: echo", "   bad: : x"));
  const errors = result.errors.map(formatConfigError);
  assert.ok(errors.length >= 1);
  assert.ok(errors.every((e) => e.includes("YAML syntax error")), errors.join("\n"));
  assert.ok(errors[0].startsWith("job.yaml:5:"), errors[0]);
  assert.equal(result.jobs.length, 0);
});

Deno.test("errors: unclosed flow sequence is a syntax error, not a crash", () => {
  const result = load(yaml("id: a", "tasks: [", "  - id: x"));
  assert.ok(result.errors.length >= 1);
  assert.match(formatConfigError(result.errors[0]), /^job\.yaml:\d+:\d+: YAML syntax error: /);
  assert.equal(result.files[0].jobId, null);
});

Deno.test("errors: empty file and comment-only file", () => {
  assertErrors(load(""), [["job.yaml:1:1", "empty"]]);
  assertErrors(load("# just a comment\n"), [["job.yaml:1:1", "empty"]]);
});

Deno.test("errors: two YAML documents in one file", () => {
  const result = load(yaml("id: a", ...TASKS, "---", "id: b", ...TASKS));
  assertErrors(result, [["job.yaml:5:1", "one YAML document"]]);
});

Deno.test("errors: a file that is not a map", () => {
  assertErrors(load(yaml("- a", "- b")), [["job.yaml:1:1", "must be a map"]]);
});

// ---- shape ----

Deno.test("errors: unknown top-level key suggests the nearest one", () => {
  const result = load(yaml("id: a", "shedule: '* * * * *'", ...TASKS));
  assertErrors(result, [["job.yaml:2:1", 'unknown key "shedule"', 'did you mean "schedule"']]);
});

Deno.test("errors: unknown key in a task suggests the nearest one", () => {
  const result = load(yaml("id: a", ...TASKS, "    arg: [x]"));
  assertErrors(result, [["job.yaml:5:5", 'unknown key "arg" in tasks[0]', 'did you mean "args"']]);
});

Deno.test("errors: unknown key in retry suggests the nearest one", () => {
  const result = load(yaml("id: a", ...TASKS, "    retry:", "      max_attempt: 3"));
  assertErrors(result, [[
    "job.yaml:6:7",
    'unknown key "max_attempt" in tasks[0].retry',
    'did you mean "max_attempts"',
  ]]);
});

Deno.test("errors: unknown key far from any field has no hint", () => {
  const result = load(yaml("id: a", "colour: blue", ...TASKS));
  assertErrors(result, [["job.yaml:2:1", 'unknown key "colour"']]);
  assert.ok(!result.errors[0].message.includes("did you mean"), result.errors[0].message);
});

Deno.test("errors: wrong types name the field, the expected and the actual type", () => {
  const result = load(yaml(
    "id: a",
    "enabled: 'yes'",
    ...TASKS,
    "    timeout_secs: '30'",
    "    args: foo",
  ));
  assertErrors(result, [
    ["job.yaml:2:10", "enabled must be true or false", 'got string "yes"'],
    ["job.yaml:6:19", "tasks[0].timeout_secs must be a number", 'got string "30"'],
    ["job.yaml:7:11", "tasks[0].args must be a list", 'got string "foo"'],
  ]);
});

Deno.test("errors: wrong type of tasks and of one task", () => {
  assertErrors(load(yaml("id: a", "tasks: foo")), [["job.yaml:2:8", "tasks must be a list"]]);
  assertErrors(load(yaml("id: a", "tasks:", "  - foo")), [[
    "job.yaml:3:5",
    "tasks[0] must be a map",
  ]]);
});

Deno.test("errors: missing required fields id, tasks and task id", () => {
  assertErrors(load(yaml(...TASKS)), [["job.yaml:1:1", 'missing required field "id"']]);
  assertErrors(load(yaml("id: a")), [["job.yaml:1:1", 'missing required field "tasks"']]);
  assertErrors(load(yaml("id: a", "tasks:", "  - command: echo")), [[
    "job.yaml:3:5",
    "tasks[0]",
    'missing required field "id"',
  ]]);
});

Deno.test("errors: ids must match [A-Za-z0-9_.-]+", () => {
  const result = load(yaml("id: 'bad id'", "tasks:", "  - id: 'x/y'", "    command: echo"));
  assertErrors(result, [
    ["job.yaml:1:5", "id: job id may only contain", 'got string "bad id"'],
    ["job.yaml:3:9", "tasks[0].id: task id may only contain", 'got string "x/y"'],
  ]);
});

Deno.test("errors: max_concurrency: 0 and empty tasks", () => {
  assertErrors(load(yaml("id: a", "max_concurrency: 0", ...TASKS)), [[
    "job.yaml:2:18",
    "max_concurrency must be at least 1",
  ]]);
  assertErrors(load(yaml("id: a", "tasks: []")), [["job.yaml:2:8", "at least one task"]]);
});

Deno.test("errors: enum values are listed", () => {
  const result = load(yaml("id: a", ...TASKS, "    condition: sometimes"));
  assertErrors(result, [[
    "job.yaml:5:16",
    "tasks[0].condition must be one of all_success, on_failure, all_done, always",
  ]]);
});

Deno.test("errors: bad duration in timeout", () => {
  assertErrors(load(yaml("id: a", ...TASKS, "    timeout: 5x")), [[
    "job.yaml:5:14",
    "tasks[0].timeout",
    'invalid duration "5x"',
  ]]);
});

// ---- tasks ----

Deno.test("errors: duplicate task id points at the second one", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "  - id: x",
    "    command: echo",
  ));
  assertErrors(result, [["job.yaml:5:9", 'duplicate task id "x"', "first defined on line 3"]]);
});

Deno.test("errors: dependency on self, on an unknown task (known ones sorted), repeated", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "    depends_on: [x]",
    "  - id: y",
    "    command: echo",
    "    depends_on: [nothere, x, x]",
    "  - id: b",
    "    command: echo",
  ));
  assertErrors(result, [
    ["job.yaml:5:18", 'task "x" depends on itself'],
    ["job.yaml:8:18", 'task "y" depends on unknown task "nothere"', "(known tasks: b, x, y)"],
    ["job.yaml:8:30", 'task "y" lists dependency "x" twice'],
  ]);
});

Deno.test("errors: task cycle is printed as a path", () => {
  const result = load(yaml(
    "id: j",
    "tasks:",
    "  - id: a",
    "    command: echo",
    "    depends_on: [c]",
    "  - id: b",
    "    command: echo",
    "    depends_on: [a]",
    "  - id: c",
    "    command: echo",
    "    depends_on: [b]",
    "  - id: d",
    "    command: echo",
    "    depends_on: [a]",
  ));
  assertErrors(result, [["job.yaml:5:17", "task dependency cycle: a -> c -> b -> a"]]);
});

Deno.test("errors: two-task cycle", () => {
  const result = load(yaml(
    "id: j",
    "tasks:",
    "  - id: a",
    "    command: echo",
    "    depends_on: [b]",
    "  - id: b",
    "    command: echo",
    "    depends_on: [a]",
  ));
  assertErrors(result, [["job.yaml:5:17", "task dependency cycle: a -> b -> a"]]);
});

Deno.test("errors: type-specific rules", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: s",
    "    type: shell",
    "  - id: c",
    "    command: echo",
    "    script: hi",
    "  - id: i",
    "    type: shell",
    "    script: echo",
    "    inline: true",
    "  - id: t",
    "    command: echo",
    "    timeout: 5m",
    "    timeout_secs: 3",
    "  - id: p",
    "    type: python",
    "    script: print(1)",
    "    command: python3",
  ));
  assertErrors(result, [
    ["job.yaml:3:5", "tasks[0]", 'type shell needs "script"'],
    ["job.yaml:7:5", "tasks[1]", '"script" needs type: shell or type: python'],
    ["job.yaml:11:5", "tasks[2]", '"inline" is for type: python'],
    ["job.yaml:14:5", "tasks[3]", "either timeout or timeout_secs"],
    ["job.yaml:19:5", "tasks[4]", '"command" is for type: command'],
  ]);
});

Deno.test("errors: a command task without command", () => {
  const result = load(yaml("id: a", "tasks:", "  - id: x", "    args: [1]"));
  assertErrors(result, [["job.yaml:3:5", 'a command task needs "command"']]);
});

// ---- schedules ----

Deno.test("errors: schedule with the wrong number of fields says how many", () => {
  assertErrors(load(yaml("id: a", "schedule: '* * * *'", ...TASKS)), [[
    "job.yaml:2:11",
    'invalid schedule "* * * *"',
    "must have 5 or 6 fields, found 4",
  ]]);
  assertErrors(load(yaml("id: a", "schedule: '0 0 * * * * *'", ...TASKS)), [[
    "job.yaml:2:11",
    "found 7",
  ]]);
});

Deno.test("errors: bad @every and unknown shortcut", () => {
  assertErrors(load(yaml("id: a", "schedule: '@every 1h30'", ...TASKS)), [[
    "job.yaml:2:11",
    '"@every 1h30"',
    "trailing number",
  ]]);
  assertErrors(load(yaml("id: a", "schedule: '@every 0s'", ...TASKS)), [[
    "job.yaml:2:11",
    "greater than zero",
  ]]);
  assertErrors(load(yaml("id: a", "schedule: '@fortnightly'", ...TASKS)), [[
    "job.yaml:2:11",
    'unknown shortcut "@fortnightly"',
    "@daily",
  ]]);
});

Deno.test("errors: out-of-range cron field", () => {
  assertErrors(load(yaml("id: a", "schedule: '61 * * * *'", ...TASKS)), [[
    "job.yaml:2:11",
    "minute value 61 is out of range",
  ]]);
});

Deno.test("errors: invalid time zone names the field it is in", () => {
  assertErrors(
    load(yaml("id: a", "schedule:", "  cron: '0 * * * *'", "  timezone: Mars/Base", ...TASKS)),
    [["job.yaml:4:13", "schedule.timezone:", 'unknown time zone "Mars/Base"']],
  );
  assertErrors(load(yaml("id: a", "schedule: '0 * * * *'", "timezone: Nowhere/City", ...TASKS)), [[
    "job.yaml:3:11",
    "timezone:",
    'unknown time zone "Nowhere/City"',
  ]]);
});

Deno.test("errors: bad time zone and bad expression are both reported", () => {
  const result = load(yaml("id: a", "schedule: '* * *'", "timezone: Bad/Zone", ...TASKS));
  assertErrors(result, [
    ["job.yaml:2:11", "found 3"],
    ["job.yaml:3:11", 'unknown time zone "Bad/Zone"'],
  ]);
});

Deno.test("errors: timezone without schedule, and given twice", () => {
  assertErrors(load(yaml("id: a", "timezone: UTC", ...TASKS)), [[
    "job.yaml:2:1",
    "no schedule",
  ]]);
  assertErrors(
    load(yaml("id: a", "schedule: {cron: '* * * * *', timezone: UTC}", "timezone: UTC", ...TASKS)),
    [["job.yaml:3:1", "timezone is given twice"]],
  );
});

// ---- templates ----

Deno.test("errors: templates: unknown config key, task not upstream, malformed", () => {
  const result = load(yaml(
    "id: a",
    "config:",
    "  env: prod",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "    args: ['{{ config.nope }}', '{{ tasks.y.stdout }}', '{{ tasks.x }}', '{{.Names}}']",
    "  - id: y",
    "    command: echo",
  ));
  assertErrors(result, [
    ["job.yaml:7:13", 'unknown config key "nope"', "(known keys: env)"],
    ["job.yaml:7:34", 'refers to task "y", which is not upstream of "x"'],
    ["job.yaml:7:58", 'unknown template "{{ tasks.x }}"'],
  ]);
});

Deno.test("errors: task outputs cannot be used in the job's environment", () => {
  const result = load(yaml("id: a", "environment:", "  X: '{{ tasks.t.stdout }}'", ...TASKS));
  assertErrors(result, [["job.yaml:3:7", "not in the job's environment"]]);
});

Deno.test("templates: upstream (also transitive) refs, job.id, run.id and foreign {{ }} are fine", () => {
  const job = onlyJob(yaml(
    "id: a",
    "config:",
    "  target: db",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "  - id: y",
    "    command: echo",
    "    depends_on: [x]",
    "  - id: z",
    "    command: '{{ tasks.x.outputs.path }}'",
    "    args: ['{{ tasks.y.exit_code }}', '{{ job.id }}', '{{ run.id }}', '{{.Names}}']",
    "    working_dir: '/srv/{{ config.target }}'",
    "    environment:",
    "      T: '{{ tasks.x.stdout }}'",
    "    depends_on: [y]",
  ));
  const z = task(job, "z");
  // Stored as written; rendering happens at run time.
  assert.equal(commandOf(z).command, "{{ tasks.x.outputs.path }}");
  assert.deepEqual(commandOf(z).args, [
    "{{ tasks.y.exit_code }}",
    "{{ job.id }}",
    "{{ run.id }}",
    "{{.Names}}",
  ]);
});

// ---- across files ----

Deno.test("errors: duplicate job id across files names both files", () => {
  const result = loadJobTexts([
    { file: "d/a.yaml", text: yaml("id: dup", ...TASKS) },
    { file: "d/b.yaml", text: yaml("# second", "id: dup", ...TASKS) },
  ]);
  assert.deepEqual(result.errors.map(formatConfigError), [
    'd/b.yaml:2:5: duplicate job id "dup": also defined in d/a.yaml:1:5',
  ]);
  // The first definition stays valid.
  assert.deepEqual(result.jobs.map((j) => j.file.endsWith("d/a.yaml")), [true]);
});

Deno.test("errors: cross-job dependency on an unknown job, listing known jobs", () => {
  const result = loadJobTexts([
    { file: "a.yaml", text: yaml("id: a", "depends_on: [ghost, c2]", ...TASKS) },
    { file: "b.yaml", text: yaml("id: c1", ...TASKS) },
    { file: "c.yaml", text: yaml("id: zeta", ...TASKS) },
  ]);
  assert.equal(result.errors.length, 2, result.errors.map(formatConfigError).join("\n"));
  const [ghost, c2] = result.errors.map(formatConfigError);
  assert.ok(ghost.startsWith("a.yaml:2:14: "), ghost);
  assert.ok(ghost.includes('unknown job "ghost"') && ghost.includes("(known jobs: a, c1, zeta)"));
  assert.ok(c2.startsWith("a.yaml:2:21: "), c2);
  assert.ok(c2.includes('unknown job "c2"') && c2.includes('did you mean "c1"'), c2);
  assert.deepEqual(result.jobs.map((j) => j.id), ["c1", "zeta"]);
});

Deno.test("errors: unknown job in the map form points at job / job_id", () => {
  const result = loadJobTexts([{
    file: "a.yaml",
    text: yaml("id: a", "depends_on:", "  - job: nope", "  - job_id: nada", ...TASKS),
  }]);
  assertErrors(result, [
    ["a.yaml:3:10", 'unknown job "nope"'],
    ["a.yaml:4:13", 'unknown job "nada"'],
  ]);
});

Deno.test("errors: job depending on itself and a job cycle", () => {
  assertErrors(load(yaml("id: a", "depends_on: [a]", ...TASKS)), [[
    "job.yaml:2:14",
    'job "a" depends on itself',
  ]]);
  const result = loadJobTexts([
    { file: "1.yaml", text: yaml("id: a", "depends_on: [b]", ...TASKS) },
    { file: "2.yaml", text: yaml("id: b", "depends_on:", "  - job: c", ...TASKS) },
    { file: "3.yaml", text: yaml("id: c", "depends_on: [{job_id: a}]", ...TASKS) },
  ]);
  assert.deepEqual(result.errors.map(formatConfigError), [
    "1.yaml:2:13: job dependency cycle: a -> b -> c -> a",
  ]);
});

Deno.test("errors: job dependency map form rules", () => {
  const result = loadJobTexts([
    {
      file: "job.yaml",
      text: yaml(
        "id: a",
        "depends_on:",
        "  - {job: b, conditon: last_success}",
        "  - {job: b, condition: sometimes}",
        "  - {job: b, condition: within_window}",
        "  - {job: b, window: 1h}",
        "  - {condition: last_success}",
        "  - {job: b, job_id: b}",
        ...TASKS,
      ),
    },
    { file: "z.yaml", text: yaml("id: b", ...TASKS) },
  ]);
  assertErrorList(result, [
    ["job.yaml:3:14", 'unknown key "conditon" in depends_on[0]', 'did you mean "condition"'],
    ["job.yaml:4:25", "depends_on[1].condition: must be last_success, last_complete"],
    ["job.yaml:5:25", 'depends_on[2]: within_window needs "window"'],
    ["job.yaml:6:14", 'depends_on[3]: "window" is only used with condition: within_window'],
    ["job.yaml:7:5", 'depends_on[4]: missing required field "job"'],
    ["job.yaml:8:14", "depends_on[5]: give either job or job_id"],
  ]);
  assert.deepEqual(result.jobs.map((j) => j.id), ["b"]);
});

// ---- one pass over everything ----

Deno.test("errors: all errors of all files are collected in one pass, sorted", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "c_third.yaml"),
      yaml(
        "id: third",
        "max_concurrency: 0",
        "schedule: '* * *'",
        "tasks:",
        "  - id: x",
        "    command: echo",
        "    depends_on: [nope]",
      ),
    );
    await Deno.writeTextFile(
      join(dir, "a_first.yaml"),
      yaml(
        "id: first",
        "shedule: '@daily'",
        "depends_on: [ghost]",
        "tasks:",
        "  - id: x",
        "    command: echo",
        "    timeout_secs: 'ten'",
        "  - id: x",
        "    command: echo",
      ),
    );
    await Deno.writeTextFile(
      join(dir, "b_second.yml"),
      yaml(
        "id: first",
        "enabled: maybe",
        "tasks:",
        "  - id: a",
        "    type: shell",
        "    depends_on: [a]",
      ),
    );
    await Deno.writeTextFile(join(dir, "d_good.yaml"), yaml("id: good", ...TASKS));
    const result = await loadJobsDir(dir);
    const f = (name: string) => join(dir, name);
    const got = result.errors.map((e) => `${e.file}:${e.line}:${e.col}`);
    assert.deepEqual(got, [
      `${f("a_first.yaml")}:2:1`, // unknown key shedule
      `${f("a_first.yaml")}:3:14`, // unknown job ghost
      `${f("a_first.yaml")}:7:19`, // timeout_secs type
      `${f("a_first.yaml")}:8:9`, // duplicate task id
      `${f("b_second.yml")}:1:5`, // duplicate job id
      `${f("b_second.yml")}:2:10`, // enabled type
      `${f("b_second.yml")}:4:5`, // shell without script
      `${f("b_second.yml")}:6:18`, // depends on itself
      `${f("c_third.yaml")}:2:18`, // max_concurrency
      `${f("c_third.yaml")}:3:11`, // schedule fields
      `${f("c_third.yaml")}:7:18`, // unknown task
    ]);
    const messages = result.errors.map((e) => e.message);
    assert.match(messages[0], /unknown key "shedule"/);
    assert.match(messages[1], /unknown job "ghost"/);
    assert.match(messages[4], new RegExp(`also defined in ${f("a_first.yaml")}:1:5`));
    assert.match(messages[9], /found 3/);
    assert.match(messages[10], /unknown task "nope"/);
    // The valid file still loads; per-file results are in file order.
    assert.deepEqual(result.jobs.map((j) => j.id), ["good"]);
    assert.deepEqual(result.files.map((r) => [r.jobId, r.errors.length, r.job !== null]), [
      ["first", 4, false],
      ["first", 4, false],
      ["third", 3, false],
      ["good", 0, true],
    ]);
  });
});

// ---- the model ----

Deno.test("model: defaults", () => {
  const job = onlyJob(yaml("id: minimal", ...TASKS));
  assert.equal(job.id, "minimal");
  assert.equal(job.name, "minimal");
  assert.equal(job.description, null);
  assert.equal(job.schedule, null);
  assert.equal(job.enabled, true);
  assert.equal(job.maxConcurrency, null);
  assert.deepEqual(job.config, {});
  assert.deepEqual(job.environment, {});
  assert.deepEqual(job.dependsOn, []);
  assert.equal(job.catchup, "none");
  assert.equal(job.catchupLimit, 10);
  assert.equal(job.file, "/jobs/job.yaml");
  const t = task(job, "t");
  assert.equal(t.name, "t");
  assert.deepEqual(t.dependsOn, []);
  assert.equal(t.condition, "all_success");
  assert.deepEqual(t.retry, {
    maxAttempts: 0,
    delayMs: 0,
    backoff: "fixed",
    maxDelayMs: null,
    condition: "always",
  });
  assert.equal(t.timeoutMs, null);
  assert.deepEqual(commandOf(t), {
    kind: "command",
    command: "echo",
    args: [],
    script: null,
    inline: false,
    workingDir: null,
    environment: {},
  });
});

Deno.test("model: schedule default time zone is UTC", () => {
  const job = onlyJob(yaml("id: a", "schedule: '0 2 * * *'", ...TASKS));
  assert.ok(job.schedule);
  assert.equal(job.schedule.expression, "0 2 * * *");
  assert.equal(job.schedule.timezone, "UTC");
  assert.equal(job.schedule.kind, "cron");
  assert.equal(
    job.schedule.next(new Date("2026-01-01T00:00:00Z"))?.toISOString(),
    "2026-01-01T02:00:00.000Z",
  );
});

Deno.test("model: schedule {cron, timezone} and job-level timezone", () => {
  const inline = onlyJob(
    yaml("id: a", "schedule:", "  cron: '30 2 * * *'", "  timezone: Europe/Berlin", ...TASKS),
  );
  assert.equal(inline.schedule?.expression, "30 2 * * *");
  assert.equal(inline.schedule?.timezone, "Europe/Berlin");
  // 02:30 in Berlin (CET, UTC+1) on 2026-01-01.
  assert.equal(
    inline.schedule?.next(new Date("2026-01-01T00:00:00Z"))?.toISOString(),
    "2026-01-01T01:30:00.000Z",
  );
  const jobLevel = onlyJob(
    yaml("id: b", "schedule: '@every 1h30m'", "timezone: America/New_York", ...TASKS),
  );
  assert.equal(jobLevel.schedule?.timezone, "America/New_York");
  assert.equal(jobLevel.schedule?.kind, "every");
  assert.equal(jobLevel.schedule?.everyMs, 90 * 60_000);
});

Deno.test("model: every job field", () => {
  const [, job] = valid(
    { file: "/jobs/a.yaml", text: yaml("id: up", ...TASKS) },
    {
      file: "/jobs/b.yaml",
      text: yaml(
        "id: b",
        "name: Job B",
        "description: Loads the warehouse",
        "enabled: false",
        "max_concurrency: 2",
        "catchup: all",
        "catchup_limit: 3",
        "config:",
        "  env: prod",
        "  n: 3",
        "  flag: true",
        "  nothing: null",
        "environment:",
        "  A: 1",
        "  B: true",
        "  C: x",
        "  D: 2.5",
        "depends_on:",
        "  - up",
        "  - {job: up, condition: last_complete}",
        "  - {job_id: up, condition: within_window, window: 1h}",
        "  - {job: up, condition: {within_window: {seconds: 60}}}",
        "  - {job: up, condition: last_success}",
        "  - {job: up, condition: within_window, window: 90}",
        ...TASKS,
      ),
    },
  );
  assert.equal(job.id, "b");
  assert.equal(job.name, "Job B");
  assert.equal(job.description, "Loads the warehouse");
  assert.equal(job.enabled, false);
  assert.equal(job.maxConcurrency, 2);
  assert.equal(job.catchup, "all");
  assert.equal(job.catchupLimit, 3);
  assert.deepEqual(job.config, { env: "prod", n: 3, flag: true, nothing: null });
  assert.deepEqual(job.environment, { A: "1", B: "true", C: "x", D: "2.5" });
  assert.deepEqual(job.dependsOn, [
    { jobId: "up", condition: { kind: "last_success" } },
    { jobId: "up", condition: { kind: "last_complete" } },
    { jobId: "up", condition: { kind: "within_window", windowMs: 3_600_000 } },
    { jobId: "up", condition: { kind: "within_window", windowMs: 60_000 } },
    { jobId: "up", condition: { kind: "last_success" } },
    { jobId: "up", condition: { kind: "within_window", windowMs: 90_000 } },
  ]);
  assert.equal(job.file, "/jobs/b.yaml");
});

Deno.test("model: every task field", () => {
  const job = onlyJob(yaml(
    "id: a",
    "tasks:",
    "  - id: cmd",
    "    name: The command",
    "    command: printf",
    "    args: [1, 2.5, true, '%s']",
    "    working_dir: sub/dir",
    "    environment: {X: 5, Y: false, Z: z}",
    "    timeout_secs: 30",
    "    retry: {max_attempts: 3, delay_secs: 2, backoff: exponential, max_delay: 1m,",
    "            condition: transient_only}",
    "  - id: py",
    "    type: python",
    "    script: print(1)",
    "    inline: true",
    "    timeout: 5m",
    "    depends_on: [cmd]",
    "    condition: always",
    "    retry: {max_attempts: 1, delay: 30s, max_delay: 90, condition: never}",
    "  - id: sh",
    "    type: shell",
    "    script: |",
    "      echo one",
    "      echo two",
    "    depends_on: [cmd, py]",
    "    condition: on_failure",
    "    timeout_secs: 0.5",
    "  - id: done",
    "    command: 'true'",
    "    depends_on: [sh]",
    "    condition: all_done",
    "    retry: {delay_secs: 1.5}",
  ));
  assert.deepEqual(job.tasks.map((t) => t.id), ["cmd", "py", "sh", "done"]);
  const cmd = task(job, "cmd");
  assert.equal(cmd.name, "The command");
  assert.equal(cmd.timeoutMs, 30_000);
  assert.deepEqual(cmd.retry, {
    maxAttempts: 3,
    delayMs: 2000,
    backoff: "exponential",
    maxDelayMs: 60_000,
    condition: "transient_only",
  });
  assert.deepEqual(commandOf(cmd), {
    kind: "command",
    command: "printf",
    args: ["1", "2.5", "true", "%s"],
    script: null,
    inline: false,
    workingDir: "sub/dir",
    environment: { X: "5", Y: "false", Z: "z" },
  });

  const py = task(job, "py");
  assert.equal(commandOf(py).kind, "python");
  assert.equal(commandOf(py).script, "print(1)");
  assert.equal(commandOf(py).inline, true);
  assert.equal(commandOf(py).command, null);
  assert.equal(py.timeoutMs, 300_000);
  assert.equal(py.condition, "all_done", "always is an alias of all_done");
  assert.deepEqual(py.dependsOn, ["cmd"]);
  assert.deepEqual(py.retry, {
    maxAttempts: 1,
    delayMs: 30_000,
    backoff: "fixed",
    maxDelayMs: 90_000,
    condition: "never",
  });

  const sh = task(job, "sh");
  assert.equal(commandOf(sh).kind, "shell");
  assert.equal(commandOf(sh).script, "echo one\necho two\n");
  assert.equal(commandOf(sh).inline, false);
  assert.equal(sh.condition, "on_failure");
  assert.deepEqual(sh.dependsOn, ["cmd", "py"]);
  assert.equal(sh.timeoutMs, 500);

  const done = task(job, "done");
  assert.equal(done.condition, "all_done");
  assert.equal(commandOf(done).command, "true");
  assert.equal(done.retry.delayMs, 1500);
});

Deno.test("model: delay and delay_secs together are an error", () => {
  assertErrors(load(yaml("id: a", ...TASKS, "    retry: {delay: 1s, delay_secs: 1}")), [[
    "job.yaml:5:13",
    "either delay or delay_secs",
  ]]);
});

// ---- the folder ----

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
