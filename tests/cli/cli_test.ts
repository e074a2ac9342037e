/**
 * `pt` as a real subprocess: validate, list, next, schema, help, version and usage errors.
 * Every test gets a fresh temp folder; independent runs go concurrently.
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pt } from "../scenarios/helpers.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const DENO_JSON = new URL("../../deno.json", import.meta.url);
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net",
  "--allow-sys",
];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pt args…` in `cwd`, with XDG folders inside it so nothing touches the real home. */
async function pt(cwd: string, ...args: string[]): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, ...args],
    cwd,
    env: {
      NO_COLOR: "1",
      TZ: "UTC",
      XDG_CONFIG_HOME: join(cwd, ".config"),
      XDG_DATA_HOME: join(cwd, ".data"),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

function show(r: Result): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function assertExit(r: Result, code: number): void {
  assert.equal(r.code, code, show(r));
}

/** A fresh temp folder with `jobs/` holding `files`; removed afterwards. */
async function withJobs(
  files: Record<string, string>,
  fn: (jobs: string, root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "petit-cli-" });
  try {
    const jobs = join(root, "jobs");
    await Deno.mkdir(jobs);
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(jobs, name), text);
    }
    await fn(jobs, root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function job(id: string, ...extra: string[]): string {
  return [`id: ${id}`, ...extra, "tasks:", "  - id: t", "    command: echo", ""].join("\n");
}

const ms = (iso: string) => new Date(iso).getTime();

/** `pt next <dir> <id> --json --after <after> [-n N]` → the epoch-ms list, checking the shape. */
async function next(jobs: string, id: string, after: string, count?: number): Promise<number[]> {
  const args = ["next", jobs, id, "--json", "--after", after];
  if (count !== undefined) args.push("-n", String(count));
  const r = await pt(jobs, ...args);
  assertExit(r, 0);
  const body = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(body), ["job_id", "next"]);
  assert.equal(body.job_id, id);
  assert.ok(Array.isArray(body.next) && body.next.every((n: unknown) => typeof n === "number"));
  return body.next;
}

// ---- validate ----

Deno.test("validate: a valid folder exits 0 and names the jobs", async () => {
  await withJobs({
    "b.yaml": job("beta", "schedule: '@daily'"),
    "a.yml": job("alpha"),
    "readme.txt": "not a job",
  }, async (jobs) => {
    const [plain, json] = await Promise.all([
      pt(jobs, "validate", jobs),
      pt(jobs, "validate", jobs, "--json"),
    ]);
    assertExit(plain, 0);
    assert.equal(plain.stdout.trim(), "ok: 2 jobs valid (alpha, beta)");
    assert.equal(plain.stderr, "");
    assertExit(json, 0);
    assert.deepEqual(JSON.parse(json.stdout), {
      valid: true,
      jobs: ["alpha", "beta"],
      errors: [],
      count: 0,
    });
  });
});

Deno.test("validate: invalid files exit 1 with every error as file:line:col on stderr", async () => {
  await withJobs({
    "a.yaml": job("a", "shedule: '* * * * *'", "max_concurrency: 0"),
    "b.yaml": job("b", "schedule: '* * * *'", "depends_on: [ghost]"),
    "c.yaml": job("c"),
  }, async (jobs) => {
    const [plain, json] = await Promise.all([
      pt(jobs, "validate", jobs),
      pt(jobs, "validate", jobs, "--json"),
    ]);
    assertExit(plain, 1);
    assert.equal(plain.stdout, "");
    const a = join(jobs, "a.yaml");
    const b = join(jobs, "b.yaml");
    assert.deepEqual(plain.stderr.trimEnd().split("\n"), [
      `${a}:2:1: unknown key "shedule" (did you mean "schedule"?)`,
      `${a}:3:18: max_concurrency must be at least 1, got number 0`,
      `${b}:2:11: invalid schedule "* * * *": cron expression must have 5 or 6 fields, found 4`,
      `${b}:3:14: job "b" depends on unknown job "ghost" (known jobs: a, b, c)`,
      "4 errors in 2 files",
    ]);
    assertExit(json, 1);
    const body = JSON.parse(json.stdout);
    assert.equal(body.valid, false);
    assert.deepEqual(body.jobs, ["c"]);
    assert.equal(body.count, 4);
    assert.deepEqual(body.errors[0], {
      file: a,
      line: 2,
      col: 1,
      message: 'unknown key "shedule" (did you mean "schedule"?)',
    });
  });
});

Deno.test("validate/list/next: a missing folder is a usage error (exit 2)", async () => {
  await withJobs({}, async (jobs) => {
    const missing = join(jobs, "nope");
    const results = await Promise.all([
      pt(jobs, "validate", missing),
      pt(jobs, "list", missing),
      pt(jobs, "next", missing, "x"),
    ]);
    for (const r of results) {
      assertExit(r, 2);
      assert.equal(r.stderr.trim(), `error: jobs folder not found: ${missing}`);
    }
  });
});

Deno.test("validate: an empty folder is valid", async () => {
  await withJobs({}, async (jobs) => {
    const r = await pt(jobs, "validate", jobs);
    assertExit(r, 0);
    assert.match(r.stdout, /no job files/);
  });
});

// ---- list ----

const LIST_FILES = {
  "1_hourly.yaml": job(
    "hourly",
    "name: Hourly report",
    "description: Sends the report",
    "schedule: '0 * * * *'",
  ),
  "2_manual.yaml": job("manual"),
  "3_off.yaml": job(
    "off",
    "enabled: false",
    "schedule:",
    "  cron: '30 2 * * *'",
    "  timezone: Europe/Berlin",
  ),
  "4_ny.yaml": [
    "id: ny",
    "schedule: '30 2 * * *'",
    "timezone: America/New_York",
    "tasks:",
    "  - id: a",
    "    command: echo",
    "  - id: b",
    "    command: echo",
    "    depends_on: [a]",
    "",
  ].join("\n"),
};

Deno.test("list --json: exact shape {jobs:[…], count}", async () => {
  await withJobs(LIST_FILES, async (jobs) => {
    const before = Date.now();
    const r = await pt(jobs, "list", jobs, "--json");
    const after = Date.now();
    assertExit(r, 0);
    const body = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(body), ["jobs", "count"]);
    assert.equal(body.count, 4);
    const keys = [
      "id",
      "name",
      "description",
      "enabled",
      "scheduled",
      "task_count",
      "schedule",
      "timezone",
      "next_run",
    ];
    for (const j of body.jobs) assert.deepEqual(Object.keys(j).sort(), [...keys].sort());

    const [hourly, manual, off, ny] = body.jobs;
    // Next top of the hour after some instant during the run.
    const hour = 3_600_000;
    assert.equal(typeof hourly.next_run, "number");
    assert.equal(hourly.next_run % hour, 0);
    assert.ok(hourly.next_run > before && hourly.next_run <= after + hour, String(hourly.next_run));
    assert.deepEqual({ ...hourly, next_run: 0 }, {
      id: "hourly",
      name: "Hourly report",
      description: "Sends the report",
      enabled: true,
      scheduled: true,
      task_count: 1,
      schedule: "0 * * * *",
      timezone: "UTC",
      next_run: 0,
    });
    assert.deepEqual(manual, {
      id: "manual",
      name: "manual",
      description: null,
      enabled: true,
      scheduled: false,
      task_count: 1,
      schedule: null,
      timezone: null,
      next_run: null,
    });
    assert.deepEqual(off, {
      id: "off",
      name: "off",
      description: null,
      enabled: false,
      scheduled: false,
      task_count: 1,
      schedule: "30 2 * * *",
      timezone: "Europe/Berlin",
      next_run: null,
    });
    assert.equal(ny.task_count, 2);
    assert.equal(ny.timezone, "America/New_York");
    assert.equal(typeof ny.next_run, "number");
    assert.ok(ny.next_run > before && ny.next_run <= after + 25 * hour);
    // 02:30 New York time is 06:30 or 07:30 UTC.
    assert.ok([6, 7].includes(new Date(ny.next_run).getUTCHours()));
    assert.equal(new Date(ny.next_run).getUTCMinutes(), 30);
  });
});

Deno.test("list: the table has every column; invalid folder exits 1", async () => {
  await withJobs(LIST_FILES, async (jobs) => {
    const r = await pt(jobs, "list", jobs);
    assertExit(r, 0);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 5, r.stdout);
    assert.deepEqual(lines[0].split(/\s{2,}/), [
      "ID",
      "NAME",
      "SCHEDULE",
      "NEXT RUN",
      "TASKS",
      "ENABLED",
    ]);
    const cells = lines.slice(1).map((l) => l.split(/\s{2,}/));
    assert.deepEqual(cells[0].slice(0, 3), ["hourly", "Hourly report", "0 * * * * (UTC)"]);
    assert.match(cells[0][3], /^\d{4}-\d\d-\d\d \d\d:00:00 \+00:00$/);
    assert.deepEqual(cells[0].slice(4), ["1", "yes"]);
    assert.deepEqual(cells[1], ["manual", "manual", "-", "manual", "1", "yes"]);
    assert.deepEqual(cells[2], ["off", "off", "30 2 * * * (Europe/Berlin)", "-", "1", "no"]);
    assert.deepEqual(cells[3].slice(0, 3), ["ny", "ny", "30 2 * * * (America/New_York)"]);
    assert.match(cells[3][3], /^\d{4}-\d\d-\d\d 0[67]:30:00 \+00:00$/);
    assert.deepEqual(cells[3].slice(4), ["2", "yes"]);
  });
  await withJobs({ "a.yaml": job("a", "enabled: maybe") }, async (jobs) => {
    const r = await pt(jobs, "list", jobs, "--json");
    assertExit(r, 1);
    assert.deepEqual(JSON.parse(r.stdout), { jobs: [], count: 0 });
    assert.ok(r.stderr.startsWith(`${join(jobs, "a.yaml")}:2:10: enabled must be true or false`));
    const plain = await pt(jobs, "list", jobs);
    assertExit(plain, 1);
    assert.equal(plain.stdout, "", "no table, and no 'no jobs' either");
  });
});

// ---- unreadable job files ----

/** A folder with a valid job and a broken symlink named like a job file. */
async function withBrokenLink(fn: (jobs: string, broken: string) => Promise<void>) {
  await withJobs({ "good.yaml": job("good") }, async (jobs) => {
    const broken = join(jobs, "broken.yaml");
    await Deno.symlink(join(jobs, "gone.yaml"), broken);
    await fn(jobs, broken);
  });
}

Deno.test("validate: an unreadable file is a file:1:1 error, exit 1, not an internal error", async () => {
  await withBrokenLink(async (jobs, broken) => {
    const [plain, json] = await Promise.all([
      pt(jobs, "validate", jobs),
      pt(jobs, "validate", jobs, "--json"),
    ]);
    const message = `cannot read: broken symlink (${join(jobs, "gone.yaml")} does not exist)`;
    assertExit(plain, 1);
    assert.equal(plain.stdout, "");
    assert.deepEqual(plain.stderr.trimEnd().split("\n"), [
      `${broken}:1:1: ${message}`,
      "1 error in 1 file",
    ]);
    assertExit(json, 1);
    assert.deepEqual(JSON.parse(json.stdout), {
      valid: false,
      jobs: ["good"],
      errors: [{ file: broken, line: 1, col: 1, message }],
      count: 1,
    });
  });
});

Deno.test("list: an unreadable file is reported (exit 1) and the other jobs are listed", async () => {
  await withBrokenLink(async (jobs, broken) => {
    const [plain, json] = await Promise.all([
      pt(jobs, "list", jobs),
      pt(jobs, "list", jobs, "--json"),
    ]);
    for (const r of [plain, json]) {
      assertExit(r, 1);
      assert.ok(r.stderr.startsWith(`${broken}:1:1: cannot read: broken symlink`), show(r));
      assert.doesNotMatch(r.stderr, /PETIT_DEBUG/);
    }
    assert.deepEqual(plain.stdout.trimEnd().split("\n").map((l) => l.split(/\s{2,}/)[0]), [
      "ID",
      "good",
    ]);
    assert.deepEqual(JSON.parse(json.stdout).jobs.map((j: { id: string }) => j.id), ["good"]);
  });
});

Deno.test("run: starts with the other jobs and logs an unreadable file like an invalid one", async () => {
  await withBrokenLink(async (jobs, broken) => {
    const run = new Pt(["run", jobs, "--db", ":memory:", "--no-api"], dirname(jobs));
    try {
      await run.ready();
      assert.match(run.stderr, new RegExp(`ERROR +${escape(broken)}:1:1: cannot read: broken`));
      assert.match(run.stderr, /1 error\(s\) in job files; those jobs are not loaded/);
      assert.match(run.stderr, /petit started: 1 job\(s\)/);
    } finally {
      const exit = await run.stop();
      assert.equal(exit.code, 0, exit.stderr);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---- next ----

Deno.test("next --json: 6-field cron, @every and -n", async () => {
  await withJobs({
    "six.yaml": job("six", "schedule: '15 */10 * * * *'"),
    "every.yaml": job("every", "schedule: '@every 1h30m'"),
    "manual.yaml": job("manual"),
  }, async (jobs) => {
    const after = "2026-01-01T00:00:00Z";
    const [six, every, dflt, seven, manual] = await Promise.all([
      next(jobs, "six", after, 3),
      next(jobs, "every", "2026-05-04T10:20:30Z", 3),
      next(jobs, "six", after),
      next(jobs, "every", after, 7),
      next(jobs, "manual", after, 3),
    ]);
    assert.deepEqual(six, [
      ms("2026-01-01T00:00:15Z"),
      ms("2026-01-01T00:10:15Z"),
      ms("2026-01-01T00:20:15Z"),
    ]);
    const start = ms("2026-05-04T10:20:30Z");
    assert.deepEqual(every, [start + 90 * 60_000, start + 180 * 60_000, start + 270 * 60_000]);
    assert.equal(dflt.length, 5, "default count is 5");
    assert.equal(dflt[4], ms("2026-01-01T00:40:15Z"));
    assert.equal(seven.length, 7);
    assert.equal(seven[6], ms(after) + 7 * 90 * 60_000);
    assert.deepEqual(manual, [], "a job without schedule has no fire times");
  });
});

Deno.test("next --json: DST spring-forward in New York runs at the jump", async () => {
  await withJobs({
    "ny.yaml": job("ny", "schedule: '30 2 * * *'", "timezone: America/New_York"),
  }, async (jobs) => {
    const times = await next(jobs, "ny", "2026-03-07T12:00:00Z", 4);
    assert.deepEqual(times, [
      ms("2026-03-08T07:00:00Z"), // 02:30 does not exist: runs at 03:00 EDT
      ms("2026-03-09T06:30:00Z"), // 02:30 EDT
      ms("2026-03-10T06:30:00Z"),
      ms("2026-03-11T06:30:00Z"),
    ]);
  });
});

Deno.test("next --json: DST fall-back in Berlin runs the repeated time once", async () => {
  await withJobs({
    "berlin.yaml": job("berlin", "schedule:", "  cron: '30 2 * * *'", "  timezone: Europe/Berlin"),
  }, async (jobs) => {
    const times = await next(jobs, "berlin", "2026-10-24T12:00:00Z", 3);
    assert.deepEqual(times, [
      ms("2026-10-25T00:30:00Z"), // 02:30 CEST, the first of the two 02:30s
      ms("2026-10-26T01:30:00Z"), // 02:30 CET
      ms("2026-10-27T01:30:00Z"),
    ]);
    // Exactly one run on the local day 2026-10-25 (22:00Z on the 24th to 23:00Z on the 25th).
    const onThatDay = times.filter((t) =>
      t >= ms("2026-10-24T22:00:00Z") && t < ms("2026-10-25T23:00:00Z")
    );
    assert.equal(onThatDay.length, 1);
  });
});

Deno.test("next: human output shows the expression, zone and times", async () => {
  await withJobs({
    "ny.yaml": job("ny", "schedule: '30 2 * * *'", "timezone: America/New_York"),
  }, async (jobs) => {
    const r = await pt(jobs, "next", jobs, "ny", "--after", "2026-03-07T12:00:00Z", "-n", "2");
    assertExit(r, 0);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "ny: 30 2 * * * (America/New_York)");
    assert.equal(lines.length, 3);
    assert.ok(lines[1].includes("2026-03-08T07:00:00.000Z"), lines[1]);
    assert.ok(lines[2].includes("2026-03-09T06:30:00.000Z"), lines[2]);
  });
});

// ---- usage errors ----

Deno.test("usage errors exit 2 with a one-line hint", async () => {
  await withJobs({
    "b.yaml": job("beta", "schedule: '@hourly'"),
    "a.yaml": job("alpha", "schedule: '@daily'"),
  }, async (jobs) => {
    const [unknownJob, unknownFlag, missingArg, badAfter, badCount, unknownCmd] = await Promise
      .all([
        pt(jobs, "next", jobs, "gamma"),
        pt(jobs, "list", jobs, "--bogus"),
        pt(jobs, "next", jobs),
        pt(jobs, "next", jobs, "alpha", "--after", "yesterday"),
        pt(jobs, "next", jobs, "alpha", "-n", "0"),
        pt(jobs, "frobnicate"),
      ]);
    for (const r of [unknownJob, unknownFlag, missingArg, badAfter, badCount, unknownCmd]) {
      assertExit(r, 2);
      assert.equal(r.stdout, "", show(r));
    }
    assert.equal(
      unknownJob.stderr.trim(),
      'error: unknown job id "gamma" (known jobs: alpha, beta)',
    );
    assert.match(unknownFlag.stderr, /unknown option '--bogus'/);
    assert.match(unknownFlag.stderr, /--help/);
    assert.match(missingArg.stderr, /missing required argument 'job-id'/);
    assert.match(badAfter.stderr, /--after must be an ISO-8601 date-time.*"yesterday"/);
    assert.match(badCount.stderr, /--count must be a whole number/);
    assert.match(unknownCmd.stderr, /unknown command 'frobnicate'/);
  });
});

Deno.test("pt with no arguments prints help and exits 2", async () => {
  await withJobs({}, async (jobs) => {
    const r = await pt(jobs);
    assertExit(r, 2);
    const out = r.stdout + r.stderr;
    assert.match(out, /Usage: pt /);
    for (const cmd of ["validate", "list", "next", "schema"]) {
      assert.match(out, new RegExp(`^  ${cmd} `, "m"));
    }
  });
});

// ---- help, version, schema ----

/** The command names listed under "Commands:" in `pt --help`. */
function commandNames(help: string): string[] {
  const section = help.slice(help.indexOf("\nCommands:\n"));
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]);
}

Deno.test("--help and -h on every command exit 0 with that command's usage", async () => {
  await withJobs({}, async (jobs) => {
    const [long, short] = await Promise.all([pt(jobs, "--help"), pt(jobs, "-h")]);
    for (const r of [long, short]) {
      assertExit(r, 0);
      assert.match(r.stdout, /^Usage: pt \[options\] \[command\]/);
    }
    assert.equal(short.stdout, long.stdout);
    const names = commandNames(long.stdout).filter((name) => name !== "help");
    for (const expected of ["validate", "list", "next", "schema"]) {
      assert.ok(names.includes(expected), `${expected} is listed in:\n${long.stdout}`);
    }
    const [nextShort, ...perCommand] = await Promise.all([
      pt(jobs, "next", "-h"),
      ...names.map((name) => pt(jobs, name, "--help")),
    ]);
    names.forEach((name, i) => {
      const r = perCommand[i];
      assertExit(r, 0);
      assert.match(r.stdout, new RegExp(`^Usage: pt ${name}\\b`), `${name}:\n${show(r)}`);
      assert.match(r.stdout, /-h, --help/);
    });
    assertExit(nextShort, 0);
    assert.match(nextShort.stdout, /^Usage: pt next \[options\] <jobs-dir> <job-id>/);
  });
});

Deno.test("--version prints the version from deno.json", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(DENO_JSON));
  assert.match(version, /^\d+\.\d+\.\d+/);
  await withJobs({}, async (jobs) => {
    const [long, short] = await Promise.all([pt(jobs, "--version"), pt(jobs, "-V")]);
    for (const r of [long, short]) {
      assertExit(r, 0);
      assert.equal(r.stdout.trim(), version);
    }
  });
});

Deno.test("schema prints a JSON Schema of a job file", async () => {
  await withJobs({}, async (jobs) => {
    const r = await pt(jobs, "schema");
    assertExit(r, 0);
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.type, "object");
    assert.ok(schema.properties.tasks, "properties.tasks");
    assert.equal(schema.properties.tasks.type, "array");
    assert.ok(schema.properties.id && schema.properties.schedule && schema.properties.depends_on);
    assert.ok(Array.isArray(schema.required) && schema.required.includes("id"));
    assert.ok(schema.required.includes("tasks"));
  });
});
