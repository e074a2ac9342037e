import assert from "node:assert/strict";
import { ApiStartError, isLoopbackHost, startApi } from "../../src/api/server.ts";
import type { JobView } from "../../src/core/views.ts";
import { startHarness } from "./helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("isLoopbackHost", () => {
  for (
    const h of [
      "127.0.0.1",
      "127.1.2.3",
      "localhost",
      "LOCALHOST",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
    ]
  ) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (
    const h of [
      "0.0.0.0",
      "::",
      "[::]",
      "192.168.1.10",
      "10.0.0.1",
      "example.com",
      "128.0.0.1",
      "::2",
      "::ffff:10.0.0.1",
      "127.0.0.256",
      "pi.local",
    ]
  ) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

Deno.test("startApi refuses a public address without a token, and a port in use", async () => {
  const h = await startHarness();
  try {
    const base = {
      scheduler: h.scheduler,
      engine: h.engine,
      token: null,
      insecure: false,
      cors: null,
    };
    for (const host of ["0.0.0.0", "::", "192.168.1.10"]) {
      await assert.rejects(
        () => startApi({ ...base, host, port: 0 }),
        (err: unknown) =>
          err instanceof ApiStartError &&
          /refusing to serve the API on .*without a token/.test(err.message),
      );
    }
    const port = Number(new URL(h.url).port);
    await assert.rejects(
      () => startApi({ ...base, host: "127.0.0.1", port }),
      (err: unknown) =>
        err instanceof ApiStartError && err.message === `address in use: 127.0.0.1:${port}`,
    );
    // A token, or --api-insecure, makes a public address acceptable.
    const withToken = await startApi({ ...base, host: "0.0.0.0", port: 0, token: "t" });
    assert.match(withToken.url, /^http:\/\/0\.0\.0\.0:\d+$/);
    await withToken.close();
    const v6 = await startApi({ ...base, host: "::1", port: 0 }).catch((err) => err);
    if (!(v6 instanceof Error)) {
      assert.match(v6.url, /^http:\/\/\[::1\]:\d+$/);
      const res = await fetch(`${v6.url}/api/health`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      await v6.close();
      await v6.close(); // twice is fine
    }
  } finally {
    await h.close();
  }
});

Deno.test("enable and disable persist across a restart", async () => {
  const first = await startHarness();
  const reuse = { dir: first.dir, tmp: first.tmp, dbPath: first.dbPath };
  try {
    const off = await first.json<JobView>("/api/jobs/quick/disable", { method: "POST" });
    assert.equal(off.status, 200);
    assert.equal(off.body.enabled, false);
    assert.equal(off.body.scheduled, false);
    assert.equal(off.body.next_run, null);
    assert.equal(first.engine.nextRun("quick"), null);
    const missing = await first.json("/api/jobs/nope/disable", { method: "POST" });
    assert.equal(missing.status, 404);
    // Disabled jobs can still be triggered by hand.
    const t = await first.json("/api/jobs/quick/trigger", { method: "POST" });
    assert.equal(t.status, 200);
  } finally {
    await first.close(true);
  }
  const second = await startHarness({ reuse });
  try {
    const quick = await second.json<JobView>("/api/jobs/quick");
    assert.equal(quick.body.enabled, false);
    assert.equal(second.engine.nextRun("quick"), null);
    const on = await second.json<JobView>("/api/jobs/quick/enable", { method: "POST" });
    assert.equal(on.body.enabled, true);
    assert.equal(on.body.scheduled, true);
    assert.ok(on.body.next_run! > Date.now());
    assert.equal(on.body.next_run, second.engine.nextRun("quick"));
  } finally {
    await second.close();
  }
});

async function ptRun(args: string[], tmp: string): Promise<Deno.ChildProcess> {
  await Deno.mkdir(`${tmp}/config`, { recursive: true });
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}src/main.ts`, "run", ...args],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: tmp,
      XDG_CONFIG_HOME: `${tmp}/config`,
      XDG_DATA_HOME: `${tmp}/data`,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

Deno.test("pt run refuses 0.0.0.0 without a token (exit 2); --api-insecure starts", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "petit-api-run-" });
  try {
    await Deno.mkdir(`${tmp}/jobs`);
    await Deno.writeTextFile(
      `${tmp}/jobs/hello.yaml`,
      'id: hello\ntasks:\n  - id: a\n    command: "true"\n',
    );
    const db = `${tmp}/petit.db`;
    const common = [`${tmp}/jobs`, "--db", db, "--api-port", "0", "--no-watch"];

    const refused = await (await ptRun([...common, "--api-host", "0.0.0.0"], tmp)).output();
    const stderr = new TextDecoder().decode(refused.stderr);
    assert.equal(refused.code, 2, stderr);
    assert.match(stderr, /refusing to serve the API on 0\.0\.0\.0.*without a token/);
    assert.match(stderr, /PETIT_API_TOKEN/);
    assert.match(stderr, /--api-insecure/);
    assert.doesNotMatch(stderr, /\n\s+at /); // no stack trace

    const child = await ptRun([...common, "--api-host", "0.0.0.0", "--api-insecure"], tmp);
    const stderrText = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    let url: string | null = null;
    const deadline = Date.now() + 30_000;
    while (url === null && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
      url = /http:\/\/0\.0\.0\.0:(\d+)/.exec(out)?.[0] ?? null;
    }
    try {
      assert.ok(url, `no URL printed; stdout: ${out}`);
      const port = new URL(url).port;
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      assert.equal(res.status, 200);
      assert.equal((await res.json()).status, "ok");
    } finally {
      child.kill("SIGTERM");
      // Drain stdout so the process can exit.
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
      }
      const status = await child.status;
      await stderrText;
      assert.equal(status.code, 0);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
