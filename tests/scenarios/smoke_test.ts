/**
 * Smoke: the few things a new machine must do, end to end, with real `pt` processes: validate,
 * trigger, doctor, and a short `pt run` with the API and an every-second job (a few fires, each
 * slot once, /api/health answers, SIGTERM exits 0). CI runs this file under the aarch64 Deno
 * (`deno task smoke:arm64`); natively it is one more scenario. Every `pt` here is a child of
 * this test's Deno (`Deno.execPath()`), so it runs on the same target, which doctor reports.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Exit, lines, runs, slotJob, waitUntil, withSandbox } from "./helpers.ts";
import { assertSlotsHandled, isRegular } from "./slot_checks.ts";

function show(exit: Exit): string {
  return `exit ${exit.code}\n--- stdout\n${exit.stdout}\n--- stderr\n${exit.stderr}`;
}

Deno.test("smoke: validate, trigger, doctor, then pt run with the API and an every-second job", async () => {
  await withSandbox(async (sb) => {
    const slots = `${sb.dir}/tick.txt`;
    await sb.job("tick", slotJob("tick", slots));
    await sb.job(
      "once",
      `id: once
tasks:
  - id: hello
    command: echo
    args: [hello]
`,
    );

    // Independent commands at once: each start is slow under emulation.
    const [validate, trigger, doctor] = await Promise.all([
      sb.cli(["validate", sb.jobs]),
      sb.cli(["trigger", sb.jobs, "once", "--db", sb.db, "-q"]),
      sb.cli(["doctor", "--db", `${sb.dir}/doctor.db`]),
    ]);
    assert.equal(validate.code, 0, show(validate));
    assert.match(validate.stdout, /ok: 2 jobs valid \(once, tick\)/);
    assert.equal(trigger.code, 0, show(trigger));
    assert.deepEqual(runs(sb.db, "once").map((r) => r.status), ["completed"]);
    assert.equal(doctor.code, 0, show(doctor));
    assert.match(doctor.stdout, new RegExp(`^ok +deno: .*${Deno.build.target}$`, "m"));

    const pt = sb.pt(["run", sb.jobs, "--db", sb.db, "--api-port", "0", "--no-watch"]);
    await pt.ready();
    const url = await waitUntil("the API URL", () => {
      if (pt.done) throw new Error(`pt run exited:\n${pt.stderr}`);
      return /http:\/\/127\.0\.0\.1:\d+/.exec(pt.stdout)?.[0] ?? null;
    });
    await waitUntil("3 fires of tick", async () => (await lines(slots)).length >= 3);
    const health = await fetch(`${url}/api/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");

    const exit = await pt.stop();
    assert.equal(exit.code, 0, show(exit));
    assert.equal(exit.signal, null);
    // Each slot ran once, whole seconds apart, and its task saw its own slot. Emulated, a slot
    // the event loop stalled through is a `missed` record instead (see slot_checks.ts).
    const ticks = assertSlotsHandled(runs(sb.db, "tick"), { policy: "none" }).rows
      .filter(isRegular);
    assert.ok(ticks.length >= 3, `${ticks.length} fires`);
    assert.ok(ticks.every((r) => r.status === "completed"), JSON.stringify(ticks));
    assert.deepEqual(
      await lines(slots),
      ticks.map((r) => new Date(r.scheduled_for!).toISOString()),
    );
  });
});
