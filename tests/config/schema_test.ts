import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { formatConfigError } from "../../src/config/errors.ts";
import { listJobFiles, loadJobsDir, loadJobTexts } from "../../src/config/loader/mod.ts";
import { jobJsonSchema } from "../../src/config/schema.ts";
import { jsonSchemaErrors } from "./helpers.ts";

const JOBS_DIR = fileURLToPath(new URL("../../jobs", import.meta.url));

/** A job file from lines; a minimal task list is added unless the lines have `tasks:`. */
function job(...lines: string[]): string {
  const tasks = lines.some((l) => l.startsWith("tasks:"))
    ? []
    : ["tasks:", "  - id: t", "    command: echo"];
  return ["id: a", ...lines, ...tasks].join("\n") + "\n";
}

/** One task, for the lines of a task list. */
function task(...lines: string[]): string[] {
  return ["tasks:", "  - id: t", ...lines.map((l) => `    ${l}`)];
}

/** The loader's errors for one file (empty when it loads). */
function loaderErrors(text: string): string[] {
  return loadJobTexts([{ file: "job.yaml", text }]).errors.map(formatConfigError);
}

/** Asserts that the loader and the JSON Schema both accept, or both reject, each file. */
function assertAgree(valid: boolean, cases: Record<string, string>): void {
  for (const [name, text] of Object.entries(cases)) {
    const loader = loaderErrors(text);
    const schema = jsonSchemaErrors(text);
    assert.equal(loader.length === 0, valid, `${name}: loader says ${loader.join("; ") || "ok"}`);
    assert.equal(schema.length === 0, valid, `${name}: schema says ${schema.join("; ") || "ok"}`);
  }
}

Deno.test("jobJsonSchema(): ajv compiles it in strict mode without allowUnionTypes", () => {
  const ajv = new Ajv2020({ strict: true });
  assert.doesNotThrow(() => ajv.compile(jobJsonSchema()));
});

Deno.test("jobJsonSchema(): the shipped jobs/*.yaml load and validate", async () => {
  const loaded = await loadJobsDir(JOBS_DIR);
  assert.deepEqual(loaded.errors.map(formatConfigError), []);
  const files = await listJobFiles(JOBS_DIR);
  assert.ok(files.length > 0);
  for (const file of files) {
    assert.deepEqual(jsonSchemaErrors(await Deno.readTextFile(file)), [], file);
  }
  assert.equal(loaded.jobs.length, files.length);
  assert.ok(files.includes(join(JOBS_DIR, "hello.yaml")));
});

Deno.test("jobJsonSchema(): rejects a shell task without script, `10 minutes`, `* * *`", () => {
  assertAgree(false, {
    "shell without script": job(...task("type: shell")),
    "timeout: 10 minutes": job(...task("command: echo", "timeout: 10 minutes")),
    'schedule: "* * *"': job('schedule: "* * *"'),
  });
});

Deno.test("jobJsonSchema(): task fields follow the task type, as in the loader", () => {
  assertAgree(false, {
    "command task without command": job(...task("args: [1]")),
    "type command without command": job(...task("type: command")),
    "script without a script type": job(...task("command: echo", "script: hi")),
    "python without script": job(...task("type: python", "inline: true")),
    "command in a shell task": job(...task("type: shell", "script: hi", "command: sh")),
    "args in a python task": job(...task("type: python", "script: print(1)", "args: [x]")),
    "inline in a shell task": job(...task("type: shell", "script: hi", "inline: true")),
    "inline in a command task": job(...task("command: echo", "inline: false")),
    "timeout and timeout_secs": job(...task("command: echo", "timeout: 5m", "timeout_secs: 3")),
    "delay and delay_secs": job(...task("command: echo", "retry: {delay: 1s, delay_secs: 1}")),
    "a dependency listed twice": job(
      "tasks:",
      "  - id: x",
      "    command: echo",
      "  - id: y",
      "    command: echo",
      "    depends_on: [x, x]",
    ),
    "a dependency that is no valid id": job(...task("command: echo", 'depends_on: ["a b"]')),
  });
  assertAgree(true, {
    "command task": job(...task("command: echo", "args: [1, two, true]")),
    "explicit type command": job(...task("type: command", "command: echo")),
    "shell task": job(...task("type: shell", "script: echo hi")),
    "python task, inline": job(...task("type: python", "script: print(1)", "inline: true")),
    "timeout_secs": job(...task("command: echo", "timeout_secs: 0.5")),
    "retry delay": job(...task("command: echo", "retry: {delay: 30s, max_delay: 90}")),
  });
});

Deno.test("jobJsonSchema(): durations follow parseDuration", () => {
  const timeout = (value: string) => job(...task("command: echo", `timeout: "${value}"`));
  const bad = ["10 minutes", "1h 30m", "10", "0s", "0h0m", "1.5s", "5M", "1s1h", "1m1m", "5x", ""];
  assertAgree(false, Object.fromEntries(bad.map((v) => [`timeout ${v}`, timeout(v)])));
  const good = ["30s", "500ms", "1h30m", "1d2h3m4s5ms", "05s", "0h5m", " 1m "];
  assertAgree(true, Object.fromEntries(good.map((v) => [`timeout ${v}`, timeout(v)])));
  assertAgree(false, { "window 1 hour": job("depends_on: [{job: a, window: 1 hour}]") });
});

Deno.test("jobJsonSchema(): schedules need 5 or 6 fields, a shortcut or @every", () => {
  const schedule = (value: string) => job(`schedule: "${value}"`);
  const bad = [
    "* * *",
    "* * * *",
    "* * * * * * *",
    "",
    "@fortnightly",
    "@daily now",
    "@every",
    "@every 500ms",
    "@every 1h 30m",
    "@every1h",
    "@every 0s",
  ];
  assertAgree(false, Object.fromEntries(bad.map((v) => [`schedule ${v}`, schedule(v)])));
  const good = [
    "*/5 * * * *",
    "0 0 2 * * MON-FRI",
    " 30  2 * *  * ",
    "@daily",
    "@HOURLY",
    "@Every 1h30m",
    "@every 1d",
  ];
  assertAgree(true, Object.fromEntries(good.map((v) => [`schedule ${v}`, schedule(v)])));
  assertAgree(false, { "cron map": job("schedule: {cron: '* * *'}") });
  assertAgree(true, { "cron map": job("schedule: {cron: '0 2 * * *', timezone: Europe/Berlin}") });
});

Deno.test("jobJsonSchema(): timezone needs a schedule and is given once", () => {
  assertAgree(false, {
    "timezone without schedule": job("timezone: UTC"),
    "timezone twice": job("schedule: {cron: '0 2 * * *', timezone: UTC}", "timezone: UTC"),
  });
  assertAgree(true, {
    "job-level timezone": job("schedule: '0 2 * * *'", "timezone: Europe/Berlin"),
    "job-level timezone, map schedule": job("schedule: {cron: '@daily'}", "timezone: UTC"),
  });
});

Deno.test("jobJsonSchema(): job dependencies name one job; window goes with within_window", () => {
  assertAgree(false, {
    "job and job_id": job("depends_on: [{job: a, job_id: a}]"),
    "neither job nor job_id": job("depends_on: [{condition: last_success}]"),
    "within_window without window": job("depends_on: [{job: a, condition: within_window}]"),
    "window without within_window": job("depends_on: [{job: a, window: 1h}]"),
    "window with the map form": job(
      "depends_on: [{job: a, condition: {within_window: {seconds: 9}}, window: 1h}]",
    ),
  });
  // The loader also rejects a job that depends on itself, which no schema can see: depend on b.
  const withUpstream = (line: string) => [
    { file: "b.yaml", text: "id: b\ntasks:\n  - id: t\n    command: echo\n" },
    { file: "a.yaml", text: job(line) },
  ];
  for (
    const line of [
      "depends_on: [b, {job: b}, {job_id: b, condition: last_complete}]",
      "depends_on: [{job: b, condition: within_window, window: 1h}]",
      "depends_on: [{job: b, condition: within_window, window: 90}]",
      "depends_on: [{job: b, condition: {within_window: {seconds: 60}}}]",
    ]
  ) {
    const sources = withUpstream(line);
    assert.deepEqual(loadJobTexts(sources).errors.map(formatConfigError), [], line);
    for (const { text } of sources) assert.deepEqual(jsonSchemaErrors(text), [], line);
  }
});

Deno.test("jobJsonSchema(): ids may not start with - or .; names and texts hold no NUL", () => {
  const withId = (id: string) => ["id: a", "tasks:", `  - id: "${id}"`, "    command: echo"];
  assertAgree(false, {
    "job id -5m": ['id: "-5m"', "tasks:", "  - id: t", "    command: echo"].join("\n") + "\n",
    "task id ..": withId("..").join("\n") + "\n",
    "task id .hidden": withId(".hidden").join("\n") + "\n",
    "environment name with =": job("environment: {'A=B': x}"),
    "empty environment name": job("environment: {'': x}"),
    "environment value with NUL": job('environment: {A: "x\\0"}'),
    "task environment name with NUL": job(...task("command: echo", 'environment: {"A\\0": 1}')),
    "argument with NUL": job(...task("command: echo", 'args: ["a\\0b"]')),
    "command with NUL": job(...task('command: "echo\\0"')),
    "script with NUL": job(...task("type: shell", 'script: "echo \\0"')),
    "working_dir with NUL": job(...task("command: echo", 'working_dir: "/tmp\\0"')),
  });
  assertAgree(true, {
    "ids with dots and dashes inside": withId("v1.2-rc_3").join("\n") + "\n",
    "task id starting with a digit": withId("5m").join("\n") + "\n",
    "environment with = in the value": job("environment: {A: 'b=c', B: 2, C: true}"),
  });
});

Deno.test("jobJsonSchema(): notify entries have one channel, http(s) URLs, known `on` values", () => {
  assertAgree(false, {
    "webhook and ntfy": job("notify: [{webhook: 'https://a.example/h', ntfy: 'https://n.sh/t'}]"),
    "no channel": job("notify: [{on: [failure]}]"),
    "ftp webhook": job("notify: [{webhook: 'ftp://a.example/h'}]"),
    "ntfy not a URL": job("notify: [{ntfy: 'my-topic'}]"),
    "unknown on value": job("notify: [{on: [failed], command: [mail]}]"),
    "empty on": job("notify: [{on: [], command: [mail]}]"),
    "empty argv": job("notify: [{command: []}]"),
    "empty program": job("notify: [{command: ['']}]"),
    "bad timeout": job("notify: [{command: [mail], timeout: 10 minutes}]"),
    "unknown key": job("notify: [{command: [mail], url: 'https://a.example'}]"),
    "not a list": job("notify: {command: [mail]}"),
  });
  assertAgree(true, {
    "each channel": job(
      "notify:",
      "  - {on: [failure, cancelled], webhook: 'http://192.168.1.5:8080/hook?token=x'}",
      "  - {on: [success], ntfy: 'https://ntfy.sh/petit-alerts', timeout: 5s}",
      "  - {command: [sh, -c, 'echo $PETIT_RUN_STATUS'], on: [skipped]}",
    ),
    "none (defaults off)": job("notify: []"),
  });
});

Deno.test("jobJsonSchema(): sub-job tasks, params, env_file and secrets, as in the loader", () => {
  assertAgree(false, {
    "job task without job": job(...task("type: job")),
    "command in a job task": job(...task("type: job", "job: b", "command: echo")),
    "env_file in a job task": job(...task("type: job", "job: b", "env_file: x.env")),
    "job in a command task": job(...task("command: echo", "job: b")),
    "params in a shell task": job(...task("type: shell", "script: x", "params: {a: b}")),
    "a param name that is no name": job("params: {9x: 1}"),
    "an unknown key of a param": job("params: {a: {dflt: 1}}"),
    "a param that is a list": job("params: {a: [1]}"),
    "an empty env_file": job('env_file: ""'),
    "a secret name with =": job("secrets: [A=B]"),
  });
  assertAgree(true, {
    "params": job("params: {a: x, b: {default: 1, description: d, pattern: '[0-9]+'}, c: {}}"),
    "env_file and secrets": job(
      "env_file: a.env",
      "secrets: [API_TOKEN]",
      ...task("command: echo", "env_file: t.env"),
    ),
  });
});
