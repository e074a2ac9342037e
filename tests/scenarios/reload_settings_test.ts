/**
 * Reloading job files while `pt run` runs, retention (`--keep-runs`), and the config file.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  concurrently,
  lines,
  query,
  runs,
  sleep,
  slotJob,
  waitUntil,
  withSandbox,
} from "./helpers.ts";
import { scaled } from "../time_scale.ts";

async function reload(): Promise<void> {
  await withSandbox(async (sb) => {
    await sb.job("keep", slotJob("keep", `${sb.dir}/keep.txt`));
    await sb.job("gone", slotJob("gone", `${sb.dir}/gone.txt`));
    await sb.job(
      "changeme",
      `id: changeme\nschedule: "0 0 1 1 *"\ntasks:\n  - id: t\n    command: "true"\n`,
    );
    const pt = sb.run();
    await pt.ready();
    await waitUntil(
      "keep and gone to fire",
      async () =>
        (await lines(`${sb.dir}/keep.txt`)).length >= 1 &&
        (await lines(`${sb.dir}/gone.txt`)).length >= 1,
      5000,
    );

    // Added, changed (schedule), removed, and a broken file, all at once.
    await sb.job(
      "fresh",
      `id: fresh\nschedule: "* * * * * *"\ntasks:\n  - id: t\n    command: "true"\n`,
    );
    await sb.job(
      "changeme",
      `id: changeme\nschedule: "* * * * * *"\ntasks:\n  - id: t\n    command: "true"\n`,
    );
    await Deno.remove(`${sb.jobs}/gone.yaml`);
    await sb.job(
      "keep",
      `id: keep\nschedule: "* * * * * *"\ntasks:\n  - id: t\n    comand: "true"\n`,
    );
    const changed = Date.now();

    const stamp = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00`;
    await pt.waitLog(new RegExp(`job added: next run - → ${stamp} +job=fresh`));
    const year = new Date().getUTCFullYear() + 1;
    const m = await pt.waitLog(
      new RegExp(
        `job changed: next run ${year}-01-01 00:00:00 \\+00:00 → (${stamp}) +job=changeme`,
      ),
    );
    const after = Date.parse(m[1].replace(" +00:00", "Z").replace(" ", "T"));
    // Every second from the reload on (which takes longer on a slow machine).
    assert.ok(
      after > changed - 1000 && after <= changed + scaled(3000),
      `changed next run ${m[1]}`,
    );
    await pt.waitLog(new RegExp(`job removed: next run ${stamp} → - +job=gone`));
    const file = `${sb.jobs}/keep.yaml`.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    await pt.waitLog(new RegExp(`ERROR ${file}:5:5: unknown key "comand"`));
    await pt.waitLog(/WARN {2}job file invalid; keeping the previous version +job=keep/);
    const reloaded = Date.now();
    await sleep(2600);
    const exit = await pt.stop();
    assert.equal(exit.code, 0, exit.stderr);

    const since = (id: string) =>
      runs(sb.db, id).filter((r) => r.scheduled_for! > reloaded && r.status === "completed");
    assert.ok(since("fresh").length >= 2, "the added job fires");
    assert.ok(since("changeme").length >= 2, "the changed job fires on its new schedule");
    assert.ok(since("keep").length >= 2, "the previous version of the broken file keeps firing");
    assert.deepEqual(
      runs(sb.db, "gone").filter((r) => r.started_at > reloaded),
      [],
      "the removed job stops firing",
    );
    assert.ok(runs(sb.db, "gone").length >= 1);
  });
}

async function retention(): Promise<void> {
  await withSandbox(async (sb) => {
    const file = `${sb.dir}/ran.txt`;
    await sb.job(
      "ret",
      `id: ret
schedule: "* * * * * *"
tasks:
  - id: a
    type: shell
    script: 'echo "$PETIT_SCHEDULED_FOR" >> ${file}'
  - id: b
    depends_on: [a]
    command: echo
    args: [b]
`,
    );
    const pt = sb.run(["--keep-runs", "3"]);
    await pt.ready();
    await waitUntil("six fires", async () => (await lines(file)).length >= 6, 9000);
    await waitUntil("the sixth run to finish", () => {
      const rows = runs(sb.db, "ret");
      return rows.length > 0 && rows.every((r) => r.status === "completed");
    }, 3000);
    assert.equal((await pt.stop()).code, 0);

    const ran = await lines(file);
    const kept = runs(sb.db, "ret");
    assert.deepEqual(
      kept.map((r) => new Date(r.scheduled_for!).toISOString()),
      ran.slice(-3),
      "only the newest 3 runs stay",
    );
    const count = (table: string) =>
      Number(query(sb.db, `SELECT count(*) AS n FROM ${table}`)[0].n);
    assert.equal(count("runs"), 3);
    assert.equal(count("task_runs"), 6, "task runs of pruned runs are deleted");
    assert.equal(count("attempts"), 6, "attempts (logs) of pruned runs are deleted");
  });
}

async function configFile(): Promise<void> {
  await withSandbox(async (sb) => {
    const cfg = `${sb.dir}/petit.toml`;
    await Deno.writeTextFile(
      cfg,
      `# settings
[storage]
engine = "sqlite"

[api]
enabled = false

[scheduler]
max_jobs = 4
max_tasks = 2
grace_secs = 1
keep_runs = 2
`,
    );
    const file = `${sb.dir}/fast.txt`;
    await sb.job("fast", slotJob("fast", file));
    await sb.job(
      "long",
      `id: long
schedule: "* * * * * *"
max_concurrency: 1
tasks:
  - id: t
    command: sleep
    args: ["300"]
`,
    );
    const pt = sb.run(["--config", cfg]);
    await pt.ready();
    await waitUntil("four fires", async () => (await lines(file)).length >= 4, 8000);
    const exit = await pt.stop();
    assert.equal(exit.code, 0, exit.stderr);
    // grace_secs and keep_runs from the file are in force.
    assert.match(exit.stderr, /shutting down: waiting up to 1s for \d running run\(s\)/);
    assert.equal(runs(sb.db, "fast").length, 2);
    // The long run was cancelled after the 1 s grace; keep_runs applies to it too.
    assert.match(exit.stderr, /WARN {2}run cancelled in \S+ +job=long/);
    assert.ok(runs(sb.db, "long").length <= 2);
  });
}

/** Petit's own sample config.toml, with `[scheduler] tick_interval`, and `--tick-interval`. */
async function petitConfig(): Promise<void> {
  await withSandbox(async (sb) => {
    await sb.job("j", `id: j\ntasks:\n  - id: t\n    command: "true"\n`);
    const cfg = `${sb.dir}/config.toml`;
    await Deno.writeTextFile(
      cfg,
      `[storage]
engine = "memory"

[api]
enabled = false
host = "127.0.0.1"
port = 8565

[scheduler]
max_tasks = 4
tick_interval = 1
`,
    );
    for (const args of [["--config", cfg], ["--tick-interval", "5"]]) {
      const pt = sb.pt(["run", sb.jobs, "--no-api", ...args]);
      await pt.ready();
      const exit = await pt.stop();
      assert.equal(exit.code, 0, exit.stderr);
      const notices = exit.stderr.split("\n").filter((l) => /tick_interval/.test(l));
      assert.equal(notices.length, 1, exit.stderr);
      assert.match(notices[0], /INFO {2}tick_interval \d has no effect/);
    }
    const bad = await sb.cli(["run", sb.jobs, "--no-api", "--tick-interval", "soon"]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--tick-interval must be a whole number/);
  });
}

async function configErrors(): Promise<void> {
  await withSandbox(async (sb) => {
    await sb.job("j", `id: j\ntasks:\n  - id: t\n    command: "true"\n`);
    const run = (args: string[], env: Record<string, string> = {}) =>
      sb.cli(["run", sb.jobs, "--db", sb.db, "--no-api", ...args], env);

    const missing = `${sb.dir}/missing.toml`;
    const a = await run(["--config", missing]);
    assert.equal(a.code, 2, a.stderr);
    assert.equal(a.stderr.trim(), `error: config file not found: ${missing}`);

    const b = await run([], { PETIT_CONFIG: missing });
    assert.equal(b.code, 2, b.stderr);
    assert.equal(b.stderr.trim(), `error: config file not found: ${missing}`);

    const bad = `${sb.dir}/bad.toml`;
    await Deno.writeTextFile(bad, "[scheduler]\nmax_tasks = 2\ngrace_secs = = 1\n");
    const c = await run(["--config", bad]);
    assert.equal(c.code, 2, c.stderr);
    assert.match(c.stderr, new RegExp(`^error: ${bad}:3:\\d+: `));

    const typo = `${sb.dir}/typo.toml`;
    await Deno.writeTextFile(typo, "[scheduler]\nmax_task = 2\n");
    const d = await run(["--config", typo]);
    assert.equal(d.code, 2, d.stderr);
    assert.match(d.stderr, /unknown key "max_task" in \[scheduler\]/);

    // Nothing was started by any of them.
    assert.equal(a.stdout + b.stdout + c.stdout + d.stdout, "");
    for (const e of [a, b, c, d]) assert.doesNotMatch(e.stderr, /petit started/);
  });
}

Deno.test("reload, retention and settings", async (t) => {
  await concurrently(t, {
    "reload: added, changed (before → after), removed, broken (previous version kept)": reload,
    "--keep-runs 3: only the newest 3 runs (and their tasks) stay": retention,
    "--config: [storage] [api] [scheduler] accepted and in force": configFile,
    "Petit's config.toml with tick_interval, and --tick-interval, accepted with a notice":
      petitConfig,
    "config errors: missing --config / PETIT_CONFIG, invalid TOML (file:line:col) exit 2":
      configErrors,
  });
});
