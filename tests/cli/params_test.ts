/**
 * `pt trigger <dir> <job> -p NAME=VALUE` and `pt retry` as real subprocesses over a real
 * SQLite file: values reach the tasks, the run records them (`pt show`), a retry reuses them,
 * and a param the job does not take, a missing required one or a pattern mismatch is exit 2
 * with a message naming it. Also `pt validate` on a scheduled job with a required param.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Exit, withSandbox } from "../scenarios/helpers.ts";

const LOAD = `id: load
params:
  day: {description: the day to load, pattern: "[0-9]{4}-[0-9]{2}-[0-9]{2}"}
  mode: full
tasks:
  - id: show
    type: shell
    script: |
      echo "day={{ params.day }} env=$PETIT_PARAM_DAY mode=$PETIT_PARAM_MODE"
      test ! -e "$FAIL_FLAG"
`;

function show(r: Exit): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The run id `pt trigger` printed. */
function runIdOf(r: Exit): string {
  const id = r.stdout.match(/^run (\S+) of \S+ started/m)?.[1];
  assert.ok(id, show(r));
  return id;
}

Deno.test("pt trigger -p: values reach the tasks; pt show and pt retry keep them", async () => {
  await withSandbox(async (sb) => {
    await sb.job("load", LOAD);
    const flag = `${sb.dir}/fail`;
    const env = { FAIL_FLAG: flag };
    await Deno.writeTextFile(flag, "");
    const failed = await sb.cli(
      ["trigger", sb.jobs, "load", "--db", sb.db, "-p", "day=2026-03-01", "-p", "mode=quick"],
      env,
    );
    assert.equal(failed.code, 1, show(failed));
    const runId = runIdOf(failed);

    const json = await sb.cli(["show", runId, "--db", sb.db, "--json"]);
    assert.equal(json.code, 0, show(json));
    const run = JSON.parse(json.stdout);
    assert.deepEqual(run.params, { day: "2026-03-01", mode: "quick" });
    assert.equal(run.parent_run_id, null);
    const text = await sb.cli(["show", runId, "--db", sb.db]);
    assert.match(text.stdout, /^param {5}day=2026-03-01$/m);
    assert.match(text.stdout, /^param {5}mode=quick$/m);

    await Deno.remove(flag);
    const retried = await sb.cli(["retry", sb.jobs, runId, "--db", sb.db], env);
    assert.equal(retried.code, 0, show(retried));
    const retryId = runIdOf(retried);
    const logs = await sb.cli(["logs", retryId, "show", "--db", sb.db]);
    assert.match(logs.stdout, /day=2026-03-01 env=2026-03-01 mode=quick/);
    const again = JSON.parse((await sb.cli(["show", retryId, "--db", sb.db, "--json"])).stdout);
    assert.deepEqual(again.params, { day: "2026-03-01", mode: "quick" });
    assert.equal(again.retry_of, runId);
  });
});

Deno.test("pt trigger -p: an unknown, missing or mismatched param is exit 2 naming it", async () => {
  await withSandbox(async (sb) => {
    await sb.job("load", LOAD);
    const cases: [string[], RegExp][] = [
      [
        ["-p", "day=2026-03-01", "-p", "dya=1"],
        /job "load" has no param "dya" \(known params: day, mode\)/,
      ],
      [[], /job "load" needs a value for param "day" \(the day to load\)/],
      [
        ["-p", "day=tomorrow"],
        /param "day" of job "load" must match the pattern .*, got "tomorrow"/,
      ],
      [["-p", "day"], /-p must be NAME=VALUE, got "day"/],
      [["-p", "day=2026-03-01", "-p", "day=2026-03-02"], /-p day is given twice/],
    ];
    for (const [flags, message] of cases) {
      const r = await sb.cli(["trigger", sb.jobs, "load", "--db", sb.db, ...flags]);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, message);
    }
    // Nothing ran.
    const runs = await sb.cli(["runs", "--db", sb.db, "--json"]);
    assert.equal(JSON.parse(runs.stdout).count, 0);
  });
});

Deno.test("pt validate: a scheduled job with a required param is a positioned error", async () => {
  await withSandbox(async (sb) => {
    await sb.job(
      "nightly",
      `id: nightly\nschedule: "@daily"\n${LOAD.split("\n").slice(1).join("\n")}`,
    );
    const r = await sb.cli(["validate", sb.jobs]);
    assert.equal(r.code, 1, show(r));
    assert.match(
      r.stderr + r.stdout,
      /nightly\.yaml:4:3: param "day" has no default, but the job has a schedule/,
    );
  });
});
