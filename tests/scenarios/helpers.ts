/**
 * Fixtures for the scheduler tests: real `pt` subprocesses (with the project's permissions,
 * never -A) over a real SQLite file in a temp folder, and small readers of that database.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type SQLOutputValue } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { EMULATED, scaled } from "../time_scale.ts";

/** Absolute path of `src/main.ts`. */
export const PT_MAIN: string = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** The permissions `pt` is run with (deno.json's tasks), never -A. */
export const PT_PERMS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-net",
  "--allow-sys",
];

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every 25 ms until it returns a value that is not null/undefined/false.
 * Every timeout in these helpers is stretched by `scaled()` (`PETIT_TEST_TIME_SCALE`, 1
 * natively): a slow machine waits longer, the assertions stay the same.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const limitMs = scaled(timeoutMs);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    }
    await sleep(25);
  }
}

/** The environment for `pt`: ours without PETIT_*, private config and temp folders, UTC. */
function ptEnv(home: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("PETIT_")) env[k] = v;
  }
  env.XDG_CONFIG_HOME = `${home}/xdg-config`;
  env.XDG_DATA_HOME = `${home}/xdg-data`;
  env.TMPDIR = home; // per-run temp folders of killed runs stay in the sandbox
  env.TZ = "UTC";
  env.NO_COLOR = "1";
  // A loaded, emulated machine answers API requests slower than the client's 10 s default.
  env.PETIT_API_TIMEOUT = String(scaled(10));
  return { ...env, ...extra };
}

/** How a `pt` process ended. */
export interface Exit {
  readonly code: number;
  readonly signal: Deno.Signal | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `pt` subprocess whose stdout and stderr are collected as they come. */
export class Pt {
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  readonly startedAt: number = Date.now();
  stdout = "";
  stderr = "";
  #done = false;
  readonly exited: Promise<Exit>;

  constructor(args: readonly string[], home: string, env: Record<string, string> = {}) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PT_PERMS, PT_MAIN, ...args],
      env: ptEnv(home, env),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.child.pid;
    const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this[into] += text;
    };
    this.exited = Promise.all([
      this.child.status,
      collect(this.child.stdout, "stdout"),
      collect(this.child.stderr, "stderr"),
    ]).then(([status]) => {
      this.#done = true;
      return { code: status.code, signal: status.signal, stdout: this.stdout, stderr: this.stderr };
    });
  }

  /** Whether the process has exited (and its output has been read). */
  get done(): boolean {
    return this.#done;
  }

  /** Waits for a line of the log (stderr) matching `re`; fails early if pt exits. */
  waitLog(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return waitUntil(`log ${re} from pt ${this.pid}\n--- stderr ---\n${this.stderr}`, () => {
      const m = this.stderr.match(re);
      if (m) return m;
      if (this.#done) throw new Error(`pt exited before logging ${re}:\n${this.stderr}`);
      return null;
    }, timeoutMs);
  }

  /** Waits until the scheduler has started (its first log line). */
  ready(timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return this.waitLog(/INFO {2}petit started/, timeoutMs);
  }

  /** Sends a signal (ignored once exited). */
  signal(sig: Deno.Signal): void {
    if (this.#done) return;
    try {
      this.child.kill(sig);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`, and the test fails). */
  async stop(timeoutMs = 15_000): Promise<Exit> {
    this.signal("SIGTERM");
    const limitMs = scaled(timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), limitMs)));
    const result = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (result === "late") {
      this.signal("SIGKILL");
      await this.exited;
      throw new Error(`pt ${this.pid} did not stop within ${limitMs} ms:\n${this.stderr}`);
    }
    return result;
  }
}

/**
 * A test's temp folder and the processes it started; `cleanup()` kills whatever is still
 * running (pt processes and recorded task process groups) and removes the folder.
 */
export class Sandbox {
  readonly dir: string;
  readonly jobs: string;
  readonly db: string;
  readonly #pts: Pt[] = [];
  readonly #groups = new Set<number>();
  readonly #pids = new Set<number>();

  private constructor(dir: string) {
    this.dir = dir;
    this.jobs = `${dir}/jobs`;
    this.db = `${dir}/petit.db`;
  }

  /** A fresh temp folder with an empty `jobs/` folder. */
  static async create(prefix = "petit-sched-"): Promise<Sandbox> {
    const dir = await Deno.makeTempDir({ prefix });
    await Deno.mkdir(`${dir}/jobs`);
    return new Sandbox(dir);
  }

  /** Writes `jobs/<name>.yaml`. */
  async job(name: string, yaml: string): Promise<void> {
    await Deno.writeTextFile(`${this.jobs}/${name}.yaml`, yaml);
  }

  /** Starts `pt run <jobs> --db <db> --no-api ...extra`. */
  run(extra: readonly string[] = [], env: Record<string, string> = {}): Pt {
    return this.pt(["run", this.jobs, "--db", this.db, "--no-api", ...extra], env);
  }

  /** Starts any `pt` command. */
  pt(args: readonly string[], env: Record<string, string> = {}): Pt {
    const p = new Pt(args, this.dir, env);
    this.#pts.push(p);
    return p;
  }

  /** Runs a `pt` command to its end (killed, and the test failed, after `timeoutMs`). */
  async cli(
    args: readonly string[],
    env: Record<string, string> = {},
    timeoutMs = 20_000,
  ): Promise<Exit> {
    const p = this.pt(args, env);
    const limitMs = scaled(timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), limitMs)));
    const result = await Promise.race([p.exited, late]);
    clearTimeout(timer);
    if (result !== "late") return result;
    p.signal("SIGKILL");
    await p.exited;
    throw new Error(`pt ${args.join(" ")} did not exit within ${limitMs} ms:\n${p.stderr}`);
  }

  /** Remembers a task process (group) to kill at cleanup if it is still there. */
  track(pid: number, group = false): void {
    (group ? this.#groups : this.#pids).add(pid);
  }

  /** Kills leftover processes and removes the folder. */
  async cleanup(): Promise<void> {
    for (const p of this.#pts) p.signal("SIGKILL");
    await Promise.all(this.#pts.map((p) => p.exited));
    for (const g of this.#groups) if (g > 1) killQuietly(-g);
    for (const pid of this.#pids) if (pid > 1) killQuietly(pid);
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/** Runs `fn` with a fresh sandbox that is cleaned up however `fn` ends. */
export async function withSandbox(fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = await Sandbox.create();
  try {
    await fn(sb);
  } finally {
    await sb.cleanup();
  }
}

/** A test step that may overlap other steps in time (sanitizers off). */
export function step(
  t: Deno.TestContext,
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): Promise<boolean> {
  return t.step({ name, fn, sanitizeOps: false, sanitizeResources: false, sanitizeExit: false });
}

/**
 * Scenarios run concurrently as steps of one test; under emulation one after another: there
 * the CPU is the limit either way, and four emulated `pt` starting at once on two cores took
 * over two minutes each (20–25 s alone), past the start-up window.
 */
export async function concurrently(
  t: Deno.TestContext,
  scenarios: Record<string, (t: Deno.TestContext) => Promise<void>>,
): Promise<void> {
  const entries = Object.entries(scenarios);
  const results: boolean[] = [];
  if (EMULATED) {
    for (const [name, fn] of entries) results.push(await step(t, name, fn));
  } else {
    results.push(...await Promise.all(entries.map(([name, fn]) => step(t, name, fn))));
  }
  if (results.some((ok) => !ok)) throw new Error("a scenario failed (see above)");
}

// ---- the database ----

type Row = Record<string, SQLOutputValue>;

/** Runs a read query on the database file and closes it. */
export function query(db: string, sql: string, ...params: SQLInputValue[]): Row[] {
  const conn = new DatabaseSync(db);
  try {
    conn.exec("PRAGMA busy_timeout = 5000");
    return conn.prepare(sql).all(...params);
  } finally {
    conn.close();
  }
}

/** A run row as stored (plus its insertion order `rk`). */
export interface RunRow {
  readonly rk: number;
  readonly id: string;
  readonly job_id: string;
  readonly status: string;
  readonly trigger: string;
  readonly reason: string | null;
  readonly scheduled_for: number | null;
  readonly started_at: number;
  readonly ended_at: number | null;
  readonly error: string | null;
  readonly retry_of: string | null;
  readonly owner: string | null;
}

const numOrNull = (v: SQLOutputValue): number | null => (v === null ? null : Number(v));
const strOrNull = (v: SQLOutputValue): string | null => (v === null ? null : String(v));

function toRunRow(r: Row): RunRow {
  return {
    rk: Number(r.rk),
    id: String(r.id),
    job_id: String(r.job_id),
    status: String(r.status),
    trigger: String(r.trigger),
    reason: strOrNull(r.reason),
    scheduled_for: numOrNull(r.scheduled_for),
    started_at: Number(r.started_at),
    ended_at: numOrNull(r.ended_at),
    error: strOrNull(r.error),
    retry_of: strOrNull(r.retry_of),
    owner: strOrNull(r.owner),
  };
}

/** Runs of a job (all jobs when omitted) in insertion order. */
export function runs(db: string, jobId?: string): RunRow[] {
  const rows = jobId === undefined
    ? query(db, "SELECT * FROM runs ORDER BY rk")
    : query(db, "SELECT * FROM runs WHERE job_id = ? ORDER BY rk", jobId);
  return rows.map(toRunRow);
}

/** A task of a run as stored. */
export interface TaskRow {
  readonly task_id: string;
  readonly status: string;
  readonly attempts: number;
  readonly error: string | null;
  readonly exit_code: number | null;
}

/** Tasks of a run, in run order. */
export function tasks(db: string, runId: string): TaskRow[] {
  return query(
    db,
    `SELECT t.* FROM task_runs t JOIN runs r ON r.rk = t.rk WHERE r.id = ? ORDER BY t.seq`,
    runId,
  ).map((r) => ({
    task_id: String(r.task_id),
    status: String(r.status),
    attempts: Number(r.attempts),
    error: strOrNull(r.error),
    exit_code: numOrNull(r.exit_code),
  }));
}

/** The stdout of a task's last attempt in a run. */
export function stdoutOf(db: string, runId: string, taskId: string): string {
  const [row] = query(
    db,
    `SELECT a.stdout FROM attempts a JOIN runs r ON r.rk = a.rk
      WHERE r.id = ? AND a.task_id = ? ORDER BY a.attempt DESC LIMIT 1`,
    runId,
    taskId,
  );
  return row ? String(row.stdout) : "";
}

// ---- processes ----

/** Whether `pid` is a live process (a zombie counts as gone), asked of `ps`. */
export async function alive(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return out.success && stat !== "" && !stat.startsWith("Z");
}

/** Reads a pid written by a task into a file. */
export async function readPid(path: string): Promise<number> {
  const pid = Number((await Deno.readTextFile(path)).trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bad pid in ${path}`);
  return pid;
}

/** Reads a pid file once it has been written (non-empty). */
export function waitPid(path: string, timeoutMs = 10_000): Promise<number> {
  return waitUntil(`pid file ${path}`, async () => {
    try {
      return await readPid(path);
    } catch {
      return null;
    }
  }, timeoutMs);
}

/** Lines of a text file (empty when missing). */
export async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** An every-second job whose task appends its slot (PETIT_SCHEDULED_FOR) to `file`. */
export function slotJob(id: string, file: string, more = ""): string {
  return `id: ${id}
schedule: "* * * * * *"
${more}
tasks:
  - id: t
    type: shell
    script: 'echo "$PETIT_SCHEDULED_FOR" >> ${file}'
`;
}
