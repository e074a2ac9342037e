/**
 * `pt trigger` and the store readers (`pt runs`, `pt show`, `pt logs`) as real subprocesses
 * over a real SQLite file: exit codes, progress output, --force, JSON shapes, PETIT_DB,
 * two processes on one database, and Ctrl+C.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteStorage } from "../../src/storage/sqlite/mod.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
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

interface Env {
  /** The temp root: XDG folders live here, so nothing touches the real home. */
  readonly root: string;
  /** The jobs folder. */
  readonly jobs: string;
  /** A database file for this test. */
  readonly db: string;
}

/**
 * The environment of a `pt` subprocess: this one's (Deno finds its cache through HOME and
 * DENO_*; tasks need PATH) without any PETIT_* setting, with XDG folders in the temp root.
 */
function ptEnv(root: string, extra: Record<string, string> = {}): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) =>
      !k.startsWith("PETIT_") && k !== "XDG_CONFIG_HOME" && k !== "XDG_DATA_HOME"
    ),
  );
  return {
    ...env,
    NO_COLOR: "1",
    TZ: "UTC",
    XDG_CONFIG_HOME: join(root, ".config"),
    XDG_DATA_HOME: join(root, ".data"),
    ...extra,
  };
}

function ptCommand(
  root: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, ...args],
    cwd: root,
    env: ptEnv(root, extraEnv),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

const text = new TextDecoder();

/** Runs `pt args…` to completion. */
async function pt(e: Env, args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  const out = await ptCommand(e.root, args, extraEnv).output();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

function show(r: Result): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function assertExit(r: Result, code: number): void {
  assert.equal(r.code, code, show(r));
}

/** `pt <args> --json` that must exit 0; returns the parsed document. */
async function ptJson(e: Env, args: string[]): Promise<Record<string, unknown>> {
  const r = await pt(e, [...args, "--json", "--db", e.db]);
  assertExit(r, 0);
  return JSON.parse(r.stdout);
}

/** A fresh temp folder with `jobs/` holding `files`; removed afterwards. */
async function withJobs(files: Record<string, string>, fn: (e: Env) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "petit-trigger-" });
  try {
    const jobs = join(root, "jobs");
    await Deno.mkdir(jobs);
    for (const [name, body] of Object.entries(files)) {
      await Deno.writeTextFile(join(jobs, name), body);
    }
    await fn({ root, jobs, db: join(root, "petit.db") });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

interface RunJson {
  id: string;
  job_id: string;
  status: string;
  trigger: string;
  started_at: number;
  ended_at: number | null;
  duration_ms: number | null;
  error: string | null;
  reason: string | null;
  scheduled_for: number | null;
  retry_of: string | null;
  params: Record<string, string>;
  parent_run_id: string | null;
}

interface TaskJson {
  task_id: string;
  run_id: string;
  status: string;
  attempts: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  exit_code: number | null;
  error: string | null;
}

interface LogJson {
  run_id: string;
  task_id: string;
  attempt: number;
  stdout: string;
  stderr: string;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  stdout_bytes: number;
  stderr_bytes: number;
  exit_code: number | null;
  error: string | null;
  started_at: number;
  ended_at: number | null;
}

const RUN_KEYS = [
  "id",
  "job_id",
  "status",
  "trigger",
  "started_at",
  "ended_at",
  "duration_ms",
  "error",
  "reason",
  "scheduled_for",
  "retry_of",
  "params",
  "parent_run_id",
];
const TASK_KEYS = [
  "task_id",
  "run_id",
  "status",
  "attempts",
  "started_at",
  "ended_at",
  "duration_ms",
  "exit_code",
  "error",
];
const LOG_KEYS = [
  "run_id",
  "task_id",
  "attempt",
  "started_at",
  "ended_at",
  "exit_code",
  "error",
  "stdout",
  "stderr",
  "stdout_truncated",
  "stderr_truncated",
  "stdout_bytes",
  "stderr_bytes",
];

function sorted(keys: string[]): string[] {
  return [...keys].sort();
}

async function runs(
  e: Env,
  ...args: string[]
): Promise<{ runs: RunJson[]; count: number; next_cursor: string | null }> {
  const body = await ptJson(e, ["runs", ...args]);
  assert.deepEqual(Object.keys(body), ["runs", "count", "next_cursor"]);
  const list = body.runs as RunJson[];
  assert.equal(body.count, list.length);
  for (const r of list) assert.deepEqual(sorted(Object.keys(r)), sorted(RUN_KEYS));
  return { runs: list, count: body.count as number, next_cursor: body.next_cursor as string };
}

async function showRun(e: Env, runId: string): Promise<RunJson & { tasks: TaskJson[] }> {
  const body = await ptJson(e, ["show", runId]);
  assert.deepEqual(sorted(Object.keys(body)), sorted([...RUN_KEYS, "tasks"]));
  const tasks = body.tasks as TaskJson[];
  for (const t of tasks) assert.deepEqual(sorted(Object.keys(t)), sorted(TASK_KEYS));
  return body as unknown as RunJson & { tasks: TaskJson[] };
}

/** The run id printed by `pt trigger` ("run <id> of <job> started"). */
function runIdOf(r: Result): string {
  const m = r.stdout.match(/^run (\S+) of \S+ started/m);
  assert.ok(m, `no run id in output\n${show(r)}`);
  return m[1];
}

/** Whether `pid` is gone; a zombie (never reaped by this machine's init) counts as gone. */
async function pidGone(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  const stat = text.decode(out.stdout).trim();
  return stat === "" || stat.startsWith("Z");
}

async function waitPidGone(pid: number, ms = 7000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await pidGone(pid))) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The names in a folder, sorted. */
async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

// ---- trigger: exit codes and progress ----

const PIPELINE = `id: pipeline
tasks:
  - id: extract
    type: shell
    script: echo "rows=3" >> "$PETIT_OUTPUT"; echo extracted
  - id: load
    type: shell
    script: echo "loading $PETIT_OUT_EXTRACT_ROWS rows"; echo "a warning" >&2
    depends_on: [extract]
  - id: report
    command: echo
    args: ["report for {{ job.id }}"]
    depends_on: [load]
`;

const BROKEN = `id: broken
tasks:
  - id: fine
    command: "true"
  - id: bad
    type: shell
    script: |
      for i in $(seq 1 15); do echo "err line $i" >&2; done
      exit 3
    depends_on: [fine]
  - id: never
    command: "true"
    depends_on: [bad]
`;

Deno.test("trigger: a completed run exits 0 and prints each task's progress", async () => {
  await withJobs({ "pipeline.yaml": PIPELINE, "broken.yaml": BROKEN }, async (e) => {
    const r = await pt(e, ["trigger", e.jobs, "pipeline", "--db", e.db]);
    assertExit(r, 0);
    const id = runIdOf(r);
    assert.match(r.stdout, /^run \S+ of pipeline started \(manual, 3 tasks\)$/m);
    for (const t of ["extract", "load", "report"]) {
      assert.match(r.stdout, new RegExp(`^  ${t}: started$`, "m"));
      assert.match(r.stdout, new RegExp(`^  ${t}: completed in \\S+`, "m"));
    }
    assert.ok(
      r.stdout.indexOf("extract: completed") < r.stdout.indexOf("load: started"),
      r.stdout,
    );
    assert.match(r.stdout, new RegExp(`^run ${id} of pipeline completed in \\S+$`, "m"));
    const detail = await showRun(e, id);
    assert.equal(detail.status, "completed");
    assert.deepEqual(detail.tasks.map((t) => [t.task_id, t.status]), [
      ["extract", "completed"],
      ["load", "completed"],
      ["report", "completed"],
    ]);

    // -q prints only the final line.
    const q = await pt(e, ["trigger", e.jobs, "pipeline", "--db", e.db, "-q"]);
    assertExit(q, 0);
    assert.match(q.stdout, /^run \S+ completed\n$/);
  });
});

Deno.test("trigger: a failed run exits 1 and shows FAILED with the stderr tail", async () => {
  await withJobs({ "pipeline.yaml": PIPELINE, "broken.yaml": BROKEN }, async (e) => {
    const r = await pt(e, ["trigger", e.jobs, "broken", "--db", e.db]);
    assertExit(r, 1);
    const id = runIdOf(r);
    assert.match(r.stdout, /^ {2}fine: completed in /m);
    assert.match(r.stdout, /^ {2}bad: FAILED after \S+: exit code 3$/m);
    // The tail: the last 10 stderr lines, indented under the failure.
    for (let i = 6; i <= 15; i++) {
      assert.match(r.stdout, new RegExp(`^    \\| err line ${i}$`, "m"));
    }
    assert.doesNotMatch(r.stdout, /err line 5$/m);
    assert.match(r.stdout, /^ {2}never: skipped \(dependency "bad" failed/m);
    assert.match(
      r.stdout,
      new RegExp(`^run ${id} of broken failed in \\S+: task "bad" failed`, "m"),
    );
    const detail = await showRun(e, id);
    assert.equal(detail.status, "failed");
    assert.equal(detail.error, `task "bad" failed: exit code 3`);
    const bad = detail.tasks.find((t) => t.task_id === "bad")!;
    assert.equal(bad.exit_code, 3);
    assert.equal(bad.attempts, 1);
  });
});

Deno.test("trigger: unknown job id and usage errors exit 2, invalid job files exit 1", async () => {
  await withJobs({ "pipeline.yaml": PIPELINE, "broken.yaml": BROKEN }, async (e) => {
    const unknown = await pt(e, ["trigger", e.jobs, "nope", "--db", e.db]);
    assertExit(unknown, 2);
    assert.match(unknown.stderr, /unknown job id "nope" \(known jobs: broken, pipeline\)/);
    for (
      const args of [
        ["trigger", e.jobs],
        ["trigger", e.jobs, "pipeline", "--bogus"],
        ["trigger", e.jobs, "pipeline", "-t", "0"],
        ["trigger", join(e.root, "missing"), "pipeline"],
      ]
    ) {
      const r = await pt(e, [...args, "--db", e.db]);
      assertExit(r, 2);
      assert.ok(r.stderr.trim() !== "", `a hint on stderr for ${args.join(" ")}`);
    }
    // Nothing ran, so nothing was created.
    assert.equal(await exists(e.db), false);

    await Deno.writeTextFile(
      join(e.jobs, "typo.yaml"),
      "id: typo\ntasks:\n  - id: t\n    comand: x\n",
    );
    const invalid = await pt(e, ["trigger", e.jobs, "pipeline", "--db", e.db]);
    assertExit(invalid, 1);
    assert.match(invalid.stderr, /typo\.yaml:4:5: unknown key "comand"/);
    assert.equal(await exists(e.db), false);
  });
});

Deno.test("trigger --force runs over an unsatisfied job dependency; without it: refused", async () => {
  const up = 'id: up\ntasks:\n  - id: t\n    command: "true"\n';
  const down = 'id: down\ndepends_on: [up]\ntasks:\n  - id: t\n    command: "true"\n';
  await withJobs({ "up.yaml": up, "down.yaml": down }, async (e) => {
    const refused = await pt(e, ["trigger", e.jobs, "down", "--db", e.db]);
    assertExit(refused, 1);
    assert.match(refused.stderr, /^refused: .*up/m);
    assert.equal((await runs(e)).count, 0, "a refused trigger records no run");

    const forced = await pt(e, ["trigger", e.jobs, "down", "--db", e.db, "--force"]);
    assertExit(forced, 0);

    assertExit(await pt(e, ["trigger", e.jobs, "up", "--db", e.db]), 0);
    assertExit(await pt(e, ["trigger", e.jobs, "down", "--db", e.db]), 0);
    const list = await runs(e);
    assert.deepEqual(list.runs.map((r) => [r.job_id, r.status]), [
      ["down", "completed"],
      ["up", "completed"],
      ["down", "completed"],
    ]);
  });
});

// ---- runs, show, logs ----

Deno.test("runs/show/logs --json: shapes, newest first, --job and --limit", async () => {
  const flaky = `id: flaky
tasks:
  - id: try
    type: shell
    script: echo "out $PETIT_ATTEMPT"; echo "err $PETIT_ATTEMPT" >&2; [ "$PETIT_ATTEMPT" = 2 ]
    retry: { max_attempts: 1 }
  - id: after
    command: echo
    args: [done]
    depends_on: [try]
`;
  await withJobs({ "pipeline.yaml": PIPELINE, "flaky.yaml": flaky }, async (e) => {
    const ids: string[] = [];
    for (const job of ["pipeline", "flaky", "pipeline"]) {
      const r = await pt(e, ["trigger", e.jobs, job, "--db", e.db]);
      assertExit(r, 0);
      ids.push(runIdOf(r));
    }

    const all = await runs(e);
    assert.equal(all.count, 3);
    assert.deepEqual(all.runs.map((r) => r.id), [...ids].reverse(), "newest first");
    for (const [i, r] of all.runs.entries()) {
      assert.equal(r.status, "completed");
      assert.equal(r.trigger, "manual");
      assert.equal(r.error, null);
      assert.equal(r.scheduled_for, null);
      assert.equal(r.retry_of, null);
      assert.ok(
        typeof r.started_at === "number" && r.ended_at !== null && r.ended_at >= r.started_at,
      );
      assert.equal(typeof r.duration_ms, "number");
      if (i > 0) assert.ok(r.started_at <= all.runs[i - 1].started_at);
    }
    assert.deepEqual((await runs(e, "--job", "pipeline")).runs.map((r) => r.id), [ids[2], ids[0]]);
    assert.deepEqual((await runs(e, "--job", "flaky")).runs.map((r) => r.id), [ids[1]]);
    assert.deepEqual((await runs(e, "--limit", "1")).runs.map((r) => r.id), [ids[2]]);
    assert.deepEqual((await runs(e, "--job", "pipeline", "--limit", "1")).runs.map((r) => r.id), [
      ids[2],
    ]);
    assert.equal((await runs(e, "--job", "nope")).count, 0);

    const detail = await showRun(e, ids[1]);
    assert.equal(detail.id, ids[1]);
    assert.equal(detail.job_id, "flaky");
    assert.deepEqual(
      detail.tasks.map((t) => [t.task_id, t.run_id, t.status, t.attempts, t.exit_code, t.error]),
      [["try", ids[1], "completed", 2, 0, null], ["after", ids[1], "completed", 1, 0, null]],
    );
    for (const t of detail.tasks) {
      assert.ok(t.started_at !== null && t.ended_at !== null && t.ended_at >= t.started_at);
      assert.equal(typeof t.duration_ms, "number");
    }

    // logs --json: the last attempt of each task by default.
    const logs = await ptJson(e, ["logs", ids[1]]);
    assert.deepEqual(Object.keys(logs), ["run_id", "logs", "count"]);
    assert.equal(logs.run_id, ids[1]);
    const entries = logs.logs as LogJson[];
    assert.equal(logs.count, 2);
    for (const l of entries) assert.deepEqual(sorted(Object.keys(l)), sorted(LOG_KEYS));
    assert.deepEqual(entries.map((l) => [l.task_id, l.attempt, l.stdout, l.stderr]), [
      ["try", 2, "out 2\n", "err 2\n"],
      ["after", 1, "done\n", ""],
    ]);
    const first = (await ptJson(e, ["logs", ids[1], "try", "--attempt", "1"])).logs as LogJson[];
    assert.equal(first.length, 1);
    assert.deepEqual(
      [first[0].attempt, first[0].stdout, first[0].stderr, first[0].exit_code, first[0].error],
      [1, "out 1\n", "err 1\n", 1, "exit code 1"],
    );
    assert.equal(first[0].stdout_truncated, false);
    assert.equal(first[0].stdout_bytes, 6);

    // Human output: labelled streams.
    const human = await pt(e, ["logs", ids[1], "try", "--attempt", "1", "--db", e.db]);
    assertExit(human, 0);
    assert.equal(
      human.stdout,
      "==> try (attempt 1) stdout <==\nout 1\n==> try (attempt 1) stderr <==\nerr 1\n",
    );
    const both = await pt(e, ["logs", ids[0], "--db", e.db]);
    assertExit(both, 0);
    assert.match(both.stdout, /^==> extract \(attempt 1\) stdout <==\nextracted\n/m);
    assert.match(both.stdout, /^==> load \(attempt 1\) stdout <==\nloading 3 rows\n/m);
    assert.match(both.stdout, /^==> load \(attempt 1\) stderr <==\na warning\n/m);
    assert.match(both.stdout, /^==> report \(attempt 1\) stdout <==\nreport for pipeline\n/m);

    // Unknown run, task or attempt: usage errors.
    for (
      const args of [
        ["show", "no-such-run"],
        ["logs", "no-such-run"],
        ["logs", ids[1], "nope"],
        ["logs", ids[1], "try", "--attempt", "3"],
      ]
    ) {
      const r = await pt(e, [...args, "--db", e.db]);
      assertExit(r, 2);
      assert.match(r.stderr, /^error: /m);
    }
  });
});

Deno.test("runs --cursor pages through 40 runs that started together, each once", async () => {
  await withJobs({}, async (e) => {
    // 40 parallel triggers in one millisecond, between two other runs.
    const at = Date.UTC(2026, 0, 1);
    const ties = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    const store = new SqliteStorage(e.db);
    try {
      const insert = (id: string, startedAt: number) =>
        store.insertRun({
          id,
          job_id: "burst",
          status: "completed",
          trigger: "api",
          reason: null,
          scheduled_for: null,
          started_at: startedAt,
          ended_at: startedAt + 5,
          duration_ms: 5,
          error: null,
          retry_of: null,
        });
      for (const id of ties) insert(id, at);
      insert("newer", at + 1000);
      insert("older", at - 1000);
    } finally {
      store.close();
    }
    const expected = ["newer", ...[...ties].reverse(), "older"];

    // --json: next_cursor leads through every run once; null on the last page.
    const seen: string[] = [];
    let page = await runs(e, "-n", "9");
    for (let pages = 1;; pages++) {
      assert.ok(page.count > 0 && pages <= 5, `page ${pages}: ${JSON.stringify(page)}`);
      seen.push(...page.runs.map((r) => r.id));
      if (page.next_cursor === null) break;
      page = await runs(e, "-n", "9", "--cursor", page.next_cursor);
    }
    assert.deepEqual(seen, expected);
    const ofJob = await runs(e, "--job", "burst", "-n", "40");
    assert.deepEqual(ofJob.runs.map((r) => r.id), expected.slice(0, 40));
    const rest = await runs(e, "--job", "burst", "-n", "40", "--cursor", ofJob.next_cursor!);
    assert.deepEqual([rest.runs.map((r) => r.id), rest.next_cursor], [["t00", "older"], null]);

    // Text: the table on stdout, the way on to the next page on stderr; none on the last.
    const text = await pt(e, ["runs", "-n", "41", "--db", e.db]);
    assertExit(text, 0);
    const lines = text.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^RUN +JOB +STATUS +TRIGGER +STARTED +DURATION +ERROR$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ +/)[0]), expected.slice(0, 41));
    const hint = text.stderr.match(/^more runs: repeat with --cursor (\S+)$/m);
    assert.ok(hint, show(text));
    const last = await pt(e, ["runs", "-n", "41", "--cursor", hint[1], "--db", e.db]);
    assertExit(last, 0);
    assert.deepEqual(last.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(/ +/)[0]), [
      "older",
    ]);
    assert.equal(last.stderr, "");

    // A cursor pt did not print is a usage error that says what is wrong.
    const bad = await pt(e, ["runs", "--cursor", "not a cursor", "--db", e.db]);
    assertExit(bad, 2);
    assert.match(bad.stderr, /^error: --cursor: not base64url text \(pass next_cursor/m);
  });
});

Deno.test("PETIT_DB chooses the database; --db wins over it", async () => {
  await withJobs({ "pipeline.yaml": PIPELINE }, async (e) => {
    const fromEnv = join(e.root, "env.db");
    const r = await pt(e, ["trigger", e.jobs, "pipeline", "-q"], { PETIT_DB: fromEnv });
    assertExit(r, 0);
    assert.ok((await Deno.stat(fromEnv)).isFile, "the run went into $PETIT_DB");

    const viaEnv = await pt(e, ["runs", "--json"], { PETIT_DB: fromEnv });
    assertExit(viaEnv, 0);
    assert.equal(JSON.parse(viaEnv.stdout).count, 1);

    const other = join(e.root, "other.db");
    const viaFlag = await pt(e, ["runs", "--json", "--db", other], { PETIT_DB: fromEnv });
    assertExit(viaFlag, 2);
    assert.match(viaFlag.stderr, /^error: no database at .*other\.db/, "--db overrides PETIT_DB");

    // Neither: the default file under $XDG_DATA_HOME.
    const dflt = await pt(e, ["trigger", e.jobs, "pipeline", "-q"]);
    assertExit(dflt, 0);
    assert.ok((await Deno.stat(join(e.root, ".data", "petit", "petit.db"))).isFile);
  });
});

// ---- which database: nothing is created by reading ----

/** Every command that only reads the database, plus retry (which needs a run in it). */
function readers(e: Env): string[][] {
  return [
    ["runs"],
    ["runs", "--json"],
    ["show", "some-run"],
    ["logs", "some-run"],
    ["why", "pipeline"],
    ["status"],
    ["status", "--json"],
    ["retry", e.jobs, "some-run"],
  ];
}

Deno.test("runs/show/logs/why/status/retry: a missing database is exit 2, nothing created", async () => {
  await withJobs({ "pipeline.yaml": PIPELINE }, async (e) => {
    const before = await names(e.root);
    await Promise.all(
      readers(e).map(async (args) => {
        const ways: [string[], Record<string, string>][] = [
          [[...args, "--db", "typo.db"], {}],
          [args, { PETIT_DB: "typo.db" }],
        ];
        for (const [argv, env] of ways) {
          const r = await pt(e, argv, env);
          assertExit(r, 2);
          assert.equal(r.stdout, "", `${args.join(" ")}: nothing on stdout`);
          assert.equal(
            r.stderr.split("\n")[0],
            "error: no database at typo.db (pt run or pt trigger creates it; check --db and " +
              "PETIT_DB)",
          );
        }
        // The default location: its folders are not made either.
        const dflt = await pt(e, args);
        assertExit(dflt, 2);
        assert.match(dflt.stderr, /^error: no database at .*\/\.data\/petit\/petit\.db /);
      }),
    );
    assert.deepEqual(await names(e.root), before, "no database, side file or folder");

    // :memory: has nothing in it, and that is fine.
    const memory = await pt(e, ["runs", "--db", ":memory:"]);
    assertExit(memory, 0);
    assert.equal(memory.stdout, "no runs\n");
  });
});

Deno.test("runs/show/logs/why/status: reading leaves the database and its folder as they were", async () => {
  await withJobs({ "pipeline.yaml": PIPELINE }, async (e) => {
    const t = await pt(e, ["trigger", e.jobs, "pipeline", "-q", "--db", e.db]);
    assertExit(t, 0);
    const runId = t.stdout.match(/^run (\S+) completed/m)?.[1];
    assert.ok(runId, show(t));
    const files = await names(e.root);
    assert.deepEqual(files.filter((f) => f.startsWith("petit.db")), ["petit.db"]);
    const bytes = await Deno.readFile(e.db);
    for (
      const args of [["runs"], ["show", runId], ["logs", runId], ["why", "pipeline"], ["status"]]
    ) {
      const r = await pt(e, [...args, "--db", e.db]);
      assertExit(r, 0);
    }
    assert.deepEqual(await names(e.root), files, "no -wal or -shm file left behind");
    assert.deepEqual(await Deno.readFile(e.db), bytes, "the file is unchanged");
  });
});

Deno.test("an explicit --db or PETIT_DB in a missing folder is exit 2 for every command", async () => {
  await withJobs({ "pipeline.yaml": PIPELINE }, async (e) => {
    const db = join(e.root, "missing", "dir", "petit.db");
    const writers = [
      ["trigger", e.jobs, "pipeline"],
      ["run", e.jobs, "--no-api"],
    ];
    const folderError = `error: database folder not found: ${join(e.root, "missing", "dir")} ` +
      "(create it first, or fix the path given in --db, PETIT_DB or the config file)";
    await Promise.all([
      ...writers.flatMap((args) => [
        pt(e, [...args, "--db", db]),
        pt(e, args, { PETIT_DB: db }),
      ]).map(async (run) => {
        const r = await run;
        assertExit(r, 2);
        assert.ok(r.stderr.includes(folderError), show(r));
      }),
      ...readers(e).map(async (args) => {
        const r = await pt(e, [...args, "--db", db]);
        assertExit(r, 2);
        assert.match(r.stderr, /^error: no database at /);
      }),
    ]);
    assert.equal(await exists(join(e.root, "missing")), false, "no folder was made");
    assert.equal(await exists(join(e.root, ".data")), false);

    // A folder is not a database file.
    const folder = await pt(e, ["trigger", e.jobs, "pipeline", "--db", e.jobs]);
    assertExit(folder, 2);
    assert.equal(folder.stderr, `error: ${e.jobs} is a folder; --db needs a database file\n`);
  });
});

// ---- concurrency and signals ----

Deno.test("two pt trigger processes share one database", async () => {
  const slowJob = (id: string) =>
    `id: ${id}
tasks:
${
      [1, 2, 3, 4].map((i) =>
        `  - id: s${i}
    type: shell
    script: sleep 0.25; echo "${id} step ${i}"
${
          i > 1
            ? `    depends_on: [s${i - 1}]\n`
            : ""
        }`
      ).join("")
    }  - id: side
    command: echo
    args: [side]
`;
  await withJobs({ "one.yaml": slowJob("one"), "two.yaml": slowJob("two") }, async (e) => {
    // Create the schema first so both start on an existing file (the race on creation is
    // covered by the storage tests; here it is the runs that overlap).
    new SqliteStorage(e.db).close();
    const procs = ["one", "two"].map((job) =>
      ptCommand(e.root, ["trigger", e.jobs, job, "--db", e.db]).output()
    );
    const outs = await Promise.all(procs);
    const results = outs.map((o) => ({
      code: o.code,
      stdout: text.decode(o.stdout),
      stderr: text.decode(o.stderr),
    }));
    for (const r of results) assertExit(r, 0);
    const list = await runs(e);
    assert.equal(list.count, 2);
    assert.deepEqual(list.runs.map((r) => r.job_id).sort(), ["one", "two"]);
    for (const run of list.runs) {
      assert.equal(run.status, "completed");
      assert.ok(run.duration_ms !== null && run.duration_ms >= 900, `${run.duration_ms}`);
      const detail = await showRun(e, run.id);
      assert.equal(detail.tasks.length, 5);
      for (const t of detail.tasks) {
        assert.equal(t.status, "completed", `${run.job_id}/${t.task_id}`);
      }
    }
    // The runs really overlapped.
    const [a, b] = list.runs;
    assert.ok(a.started_at < b.ended_at! && b.started_at < a.ended_at!, "runs overlapped");
    const logs = await ptJson(e, ["logs", list.runs[0].id, "s4"]);
    const [entry] = logs.logs as LogJson[];
    assert.equal(entry.stdout, `${list.runs[0].job_id} step 4\n`);
  });
});

Deno.test("SIGINT cancels a running pt trigger: exit 1, run cancelled, grandchild gone", async () => {
  const job = `id: long
tasks:
  - id: sleeper
    type: shell
    script: sleep 30 & echo $! > pidfile; sleep 30
  - id: after
    command: "true"
    depends_on: [sleeper]
`;
  await withJobs({ "long.yaml": job }, async (e) => {
    const child = ptCommand(e.root, ["trigger", e.jobs, "long", "--db", e.db]).spawn();
    const output = child.output();
    const pidFile = join(e.jobs, "pidfile");
    let pid = 0;
    try {
      const deadline = Date.now() + 20_000;
      while (pid === 0) {
        const body = await Deno.readTextFile(pidFile).catch(() => "");
        if (/^\d+\n/.test(body)) pid = Number(body.trim());
        else if (Date.now() > deadline) throw new Error("the task never started");
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const t0 = Date.now();
      child.kill("SIGINT");
      const out = await output;
      const r = {
        code: out.code,
        stdout: text.decode(out.stdout),
        stderr: text.decode(out.stderr),
      };
      assertExit(r, 1);
      assert.ok(Date.now() - t0 < 10_000, "cancelled promptly");
      assert.match(r.stdout, /^ {2}sleeper: cancelled$/m);
      assert.match(r.stdout, /^run \S+ of long cancelled in /m);
      assert.ok(await waitPidGone(pid), `grandchild ${pid} survived Ctrl+C`);

      const list = await runs(e);
      assert.equal(list.count, 1);
      assert.equal(list.runs[0].status, "cancelled");
      const detail = await showRun(e, list.runs[0].id);
      assert.deepEqual(detail.tasks.map((t) => [t.task_id, t.status]), [
        ["sleeper", "cancelled"],
        ["after", "cancelled"],
      ]);
    } finally {
      if (pid > 0) killQuietly(pid);
      try {
        child.kill("SIGKILL");
      } catch {
        // exited
      }
      await output;
    }
  });
});
