/**
 * Daemons a task detaches (`setsid … &`) do not outlive their run: with `pt trigger` (gone
 * when pt exits) and under `pt run` (gone when the run ends, while the scheduler goes on).
 * A daemon that clears PETIT_RUN_ID is out of reach, as the README says.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  alive,
  concurrently,
  runs,
  type Sandbox,
  waitPid,
  waitUntil,
  withSandbox,
} from "./helpers.ts";

/** A job whose task starts `setsid sh -c 'sleep 300' &` (its pid in `pidFile`) and exits. */
function daemonJob(sb: Sandbox, id: string, pidFile: string, more = ""): Promise<void> {
  return sb.job(
    id,
    `id: ${id}
${more}
tasks:
  - id: t
    type: shell
    script: |
      setsid sh -c 'echo $$ > ${pidFile}; exec sleep 300' &
      while [ ! -s ${pidFile} ]; do sleep 0.02; done
      echo started
`,
  );
}

async function trigger(): Promise<void> {
  await withSandbox(async (sb) => {
    const pidFile = `${sb.dir}/daemon.pid`;
    const keepFile = `${sb.dir}/keep.pid`;
    await daemonJob(sb, "d", pidFile);
    // A second job whose daemon clears the variable: not found, so it stays.
    await sb.job(
      "keep",
      `id: keep
tasks:
  - id: t
    type: shell
    script: |
      env -u PETIT_RUN_ID setsid sh -c 'echo $$ > ${keepFile}; exec sleep 300' &
      while [ ! -s ${keepFile} ]; do sleep 0.02; done
`,
    );
    const exit = await sb.cli(["trigger", sb.jobs, "d", "--db", sb.db]);
    const daemon = await waitPid(pidFile);
    sb.track(daemon);
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(await alive(daemon), false, "the setsid daemon outlived the run and pt");
    assert.match(exit.stderr, /terminated 1 process group\(s\) the run left behind/);

    const kept = await sb.cli(["trigger", sb.jobs, "keep", "--db", sb.db]);
    const keeper = await waitPid(keepFile);
    sb.track(keeper);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(await alive(keeper), true, "a daemon without PETIT_RUN_ID is not touched");
  });
}

async function scheduler(): Promise<void> {
  await withSandbox(async (sb) => {
    const pidFile = `${sb.dir}/daemon.pid`;
    await daemonJob(sb, "d", pidFile, `schedule: "* * * * * *"\nmax_concurrency: 1`);
    const pt = sb.run();
    await pt.ready();
    const daemon = await waitPid(pidFile);
    sb.track(daemon);
    await pt.waitLog(/terminated 1 process group\(s\) the run left behind/);
    await waitUntil("the first run's daemon to be gone", async () => !(await alive(daemon)));
    assert.equal(pt.done, false, "pt runs on");
    const exit = await pt.stop();
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(runs(sb.db, "d").every((r) => r.status !== "running"));
  });
}

Deno.test("daemons detached by a task end with their run", async (t) => {
  await concurrently(t, {
    "pt trigger: a setsid daemon is gone when pt exits; one without PETIT_RUN_ID stays": trigger,
    "pt run: each run's setsid daemon is gone when the run ends": scheduler,
  });
});
