import assert from "node:assert/strict";
import { startHarness } from "./helpers.ts";
import { scaled } from "../time_scale.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function pt(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}src/main.ts`, ...args],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
      NO_COLOR: "1",
      // A loaded emulated machine answers slower than the client's 10 s default allows.
      PETIT_API_TIMEOUT: String(scaled(10)),
      ...env,
    },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("pt trigger --remote: accepted, waited, refused, unknown, unreachable", async () => {
  const h = await startHarness();
  try {
    const waited = await pt(["trigger", h.dir, "quick", "--remote", h.url, "--wait"]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /run \S+ of job quick started/);
    assert.match(waited.stdout, /run \S+ completed/);
    const runs = h.storage.listRuns({ job_id: "quick" });
    assert.equal(runs.length, 1);
    assert.equal(runs[0].trigger, "api");
    assert.equal(runs[0].status, "completed");

    const failed = await pt(["trigger", "/nonexistent", "failing", "--remote", h.url, "--wait"]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /run \S+ failed/);

    const noWait = await pt(["trigger", "/nonexistent", "quick", "--remote", `${h.url}/`]);
    assert.equal(noWait.code, 0, noWait.stderr);

    const refused = await pt(["trigger", h.dir, "dependent", "--remote", h.url]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^refused: .*upstream/m);
    const forced = await pt([
      "trigger",
      h.dir,
      "dependent",
      "--remote",
      h.url,
      "--force",
      "--wait",
    ]);
    assert.equal(forced.code, 0, forced.stderr);

    const unknown = await pt(["trigger", h.dir, "nope", "--remote", h.url]);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown job id "nope"/);

    const badUrl = await pt(["trigger", h.dir, "quick", "--remote", "not a url"]);
    assert.equal(badUrl.code, 2, badUrl.stderr);
    assert.match(badUrl.stderr, /not a URL/);

    const badTimeout = await pt(["trigger", h.dir, "quick", "--remote", h.url], {
      PETIT_API_TIMEOUT: "soon",
    });
    assert.equal(badTimeout.code, 2, badTimeout.stderr);
    assert.match(
      badTimeout.stderr,
      /^error: PETIT_API_TIMEOUT must be a number of seconds > 0, got "soon"$/m,
    );
  } finally {
    await h.close();
  }
  // The server is gone now: nothing listens on its port.
  const gone = await pt(["trigger", "/x", "quick", "--remote", h.url]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /cannot reach the Petit API at http:\/\/127\.0\.0\.1:\d+/);
});

Deno.test("pt trigger --remote and pt status --remote send PETIT_API_TOKEN", async () => {
  const h = await startHarness({ token: "tok-123" });
  try {
    const denied = await pt(["trigger", h.dir, "quick", "--remote", h.url]);
    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /missing bearer token/);
    const wrong = await pt(["status", "--remote", h.url], { PETIT_API_TOKEN: "nope" });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /invalid token/);
    const ok = await pt(["trigger", h.dir, "quick", "--remote", h.url], {
      PETIT_API_TOKEN: "tok-123",
    });
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await h.close();
  }
});

Deno.test("pt status: remote and local", async () => {
  const h = await startHarness();
  try {
    const slow = await h.json("/api/jobs/slow/trigger", { method: "POST" });
    const remote = await pt(["status", "--remote", h.url, "--json"]);
    assert.equal(remote.code, 0, remote.stderr);
    const r = JSON.parse(remote.stdout);
    assert.equal(r.source, "remote");
    assert.deepEqual(r.scheduler, { state: "running", is_running: true, is_paused: false });
    assert.equal(r.jobs.length, 5);
    assert.deepEqual(r.running.map((x: { id: string }) => x.id), [slow.body.run_id]);

    const text = await pt(["status", "--remote", h.url]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^scheduler\s+running/m);
    assert.match(text.stdout, /^quick\s+yes\s+0 0 1 1 \* \(UTC\)/m);
    assert.match(text.stdout, new RegExp(`^${slow.body.run_id}\\s+slow\\s+api`, "m"));

    h.storage.flush();
    const local = await pt(["status", "--db", h.dbPath, "--json"]);
    assert.equal(local.code, 0, local.stderr);
    const l = JSON.parse(local.stdout);
    assert.equal(l.source, "local");
    assert.equal(l.scheduler, null);
    assert.deepEqual(l.jobs.map((j: { job_id: string }) => j.job_id), ["slow"]);
    assert.equal(l.jobs[0].last_run.id, slow.body.run_id);
    assert.deepEqual(l.running.map((x: { id: string }) => x.id), [slow.body.run_id]);

    await h.json(`/api/runs/${slow.body.run_id}/cancel`, { method: "POST" });
  } finally {
    await h.close();
  }
});
