/**
 * What a web page may not do to the API (issue 9): change state from another origin or with a
 * body that is not JSON (a plain form POST), or read anything through a name that is not
 * this server's (DNS rebinding). And what keeps working: curl and scripts, the dashboard, the
 * `--api-cors` origin, names given with `--api-allowed-host` or `[api] allowed_hosts`, any
 * name for a token-protected server on a public address. Also: a client that hangs up
 * mid-body is one log line.
 *
 * `Host` is sent over a bare connection (`raw_http.ts`): Deno's fetch always sends the URL's.
 */

import assert from "node:assert/strict";
import { startApi } from "../../src/api/server.ts";
import { Sandbox, waitUntil } from "../scenarios/helpers.ts";
import { startHarness, waitFor } from "./helpers.ts";
import { hangUpMidBody, type RawAnswer, rawRequest } from "./raw_http.ts";
import { expectAnswerShape } from "./shape.ts";

type Json = Record<string, unknown>;

/** A raw request's answer, checked against the route table and parsed. */
async function raw(
  port: number,
  path: string,
  headers: Record<string, string>,
  init: { method?: string; body?: string } = {},
): Promise<RawAnswer & { json: Json }> {
  const answer = await rawRequest(port, { path, headers, ...init });
  const json = JSON.parse(answer.body) as Json;
  expectAnswerShape(init.method ?? "GET", path, answer.status, json);
  return { ...answer, json };
}

Deno.test("requestGuard: a page on another origin cannot change state with a form POST", async () => {
  const h = await startHarness();
  try {
    const attempts: [string, Record<string, string>, string][] = [
      // <form method=post enctype=text/plain> from a page on the internet
      ["/api/scheduler/pause", { origin: "http://evil.test", "content-type": "text/plain" }, "a=b"],
      ["/api/jobs/quick/disable", { origin: "http://evil.test" }, ""],
      ["/api/jobs/quick/trigger", { origin: "null" }, ""], // sandboxed frames, file: pages
      ["/api/jobs/quick/trigger", { origin: "http://localhost:1" }, ""], // another local app
      // no Origin (an old browser, a stripping proxy): the body's type still gives it away
      ["/api/scheduler/pause", { "content-type": "text/plain" }, '{"x":1}'],
      ["/api/jobs/quick/trigger", { "content-type": "application/x-www-form-urlencoded" }, "a=b"],
      ["/api/jobs/quick/trigger", { "content-type": "multipart/form-data; boundary=x" }, "--x--"],
    ];
    for (const [path, headers, body] of attempts) {
      const r = await h.json(path, { method: "POST", headers, body: body || undefined });
      assert.equal(r.status, 403, `${path} ${JSON.stringify(headers)}`);
      assert.equal(r.body.code, "FORBIDDEN");
    }
    const origin = await h.json("/api/scheduler/pause", {
      method: "POST",
      headers: { origin: "http://evil.test" },
    });
    assert.match(String(origin.body.error), /http:\/\/evil\.test/);
    assert.match(String(origin.body.error), /--api-cors/);
    const type = await h.json("/api/scheduler/pause", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    assert.match(String(type.body.error), /application\/json/);
    // Nothing happened.
    assert.equal(h.scheduler.paused, false);
    assert.equal(h.scheduler.isEnabled(h.scheduler.jobs.find((j) => j.id === "quick")!), true);
    assert.deepEqual(h.storage.listRuns({}), []);
  } finally {
    await h.close();
  }
});

Deno.test("requestGuard: curl, scripts, the dashboard and the --api-cors origin still work", async () => {
  const h = await startHarness({ cors: "http://ui.test" });
  try {
    const post = async (path: string, init: RequestInit = {}) => {
      const r = await h.json(path, { method: "POST", ...init });
      assert.equal(r.status, 200, `${path} ${JSON.stringify(init)}: ${JSON.stringify(r.body)}`);
      return r;
    };
    // curl -X POST; curl -H 'Content-Type: application/json' -d …
    await post("/api/scheduler/pause");
    await post("/api/scheduler/resume", {
      headers: { "content-type": "application/json; charset=utf-8" },
      body: "{}",
    });
    await post("/api/jobs/quick/trigger", {
      headers: { "content-type": "application/json" },
      body: '{"force":true}',
    });
    // An empty body with any type is no body (as fetch sends `body: ""`).
    await post("/api/scheduler/resume", { headers: { "content-type": "text/plain" }, body: "" });
    // The dashboard's fetches: no body, and the page's own origin.
    for (
      const path of ["/api/scheduler/pause", "/api/scheduler/resume", "/api/jobs/quick/disable"]
    ) {
      await post(path, { headers: { origin: h.url } });
    }
    // The configured CORS origin.
    await post("/api/jobs/quick/enable", { headers: { origin: "http://ui.test" } });
    // Reading is not changing: a foreign Origin may GET (the browser keeps the answer from it).
    const read = await h.json("/api/jobs", { headers: { origin: "http://evil.test" } });
    assert.equal(read.status, 200);
  } finally {
    await h.close();
  }
});

Deno.test("requestGuard: Host must be this server's name (no DNS rebinding)", async () => {
  const h = await startHarness({ allowedHosts: ["pi.local"] });
  try {
    const port = Number(new URL(h.url).port);
    for (
      const host of [
        "evil.test",
        `evil.test:${port}`,
        `127.0.0.1.evil.test:${port}`,
        `localhost.evil.test`,
        `evil.test/x`,
        `user@localhost:${port}`,
        "a b",
        "pi.local.evil.test",
      ]
    ) {
      for (const path of ["/api/jobs", "/api/runs", "/api/health", "/api/openapi.json"]) {
        const r = await raw(port, path, { Host: host });
        assert.equal(r.status, 403, `${host} ${path}`);
        assert.equal(r.json.code, "FORBIDDEN");
      }
      const page = await raw(port, "/", { Host: host });
      assert.equal(page.status, 403);
    }
    const refused = await raw(port, "/api/jobs", { Host: `evil.test:${port}` });
    assert.match(String(refused.json.error), /evil\.test/);
    assert.match(String(refused.json.error), /--api-allowed-host/);
    for (
      const host of [
        `127.0.0.1:${port}`,
        "127.0.0.1",
        `localhost:${port}`,
        "localhost",
        "LocalHost.",
        `[::1]:${port}`,
        "[::1]",
        `192.168.1.10:${port}`, // an address: no DNS, nothing to rebind
        `pi.local:${port}`,
        "PI.local",
      ]
    ) {
      const r = await raw(port, "/api/jobs", { Host: host });
      assert.equal(r.status, 200, `${host}: ${JSON.stringify(r.json)}`);
    }
    // Without a Host (HTTP/1.0) nothing came from a browser.
    const noHost = await rawRequest(port, { path: "/api/health" });
    assert.equal(noHost.status, 200);
  } finally {
    await h.close();
  }
});

Deno.test("startApi: with a token on a public address any Host will do; Origin and body type are still checked", async () => {
  const h = await startHarness();
  const base = {
    scheduler: h.scheduler,
    engine: h.engine,
    port: 0,
    insecure: false,
    cors: null,
  };
  const auth = { authorization: "Bearer t0ken" };
  const servers = [];
  try {
    const open = await startApi({ ...base, host: "0.0.0.0", token: "t0ken" });
    servers.push(open);
    const named = await startApi({
      ...base,
      host: "0.0.0.0",
      token: "t0ken",
      allowedHosts: ["pi.local"],
    });
    servers.push(named);
    const local = await startApi({ ...base, host: "127.0.0.1", token: "t0ken" });
    servers.push(local);

    const anyName = await raw(open.port, "/api/jobs", { Host: "whatever.example", ...auth });
    assert.equal(anyName.status, 200);
    const noToken = await raw(open.port, "/api/jobs", { Host: "whatever.example" });
    assert.equal(noToken.status, 401);
    const foreign = await raw(open.port, "/api/scheduler/pause", {
      Host: "whatever.example",
      Origin: "http://evil.test",
      ...auth,
    }, { method: "POST" });
    assert.equal(foreign.status, 403);
    const form = await raw(open.port, "/api/scheduler/pause", {
      Host: "whatever.example",
      "Content-Type": "text/plain",
      ...auth,
    }, { method: "POST", body: "a=b" });
    assert.equal(form.status, 403);
    // Its own origin, as the dashboard served under that name sends it.
    const own = await raw(open.port, "/api/scheduler/pause", {
      Host: "whatever.example:8565",
      Origin: "http://whatever.example:8565",
      ...auth,
    }, { method: "POST" });
    assert.equal(own.status, 200);
    assert.equal(h.scheduler.paused, true);

    // Names given: only those (and loopback names and addresses).
    assert.equal((await raw(named.port, "/api/jobs", { Host: "pi.local", ...auth })).status, 200);
    assert.equal((await raw(named.port, "/api/jobs", { Host: "other.lan", ...auth })).status, 403);
    // On a loopback address the token does not lift the Host check.
    assert.equal((await raw(local.port, "/api/jobs", { Host: "evil.test", ...auth })).status, 403);
  } finally {
    for (const s of servers) await s.close();
    await h.close();
  }
});

Deno.test("startApi: a name in allowedHosts that is not a host name is refused", async () => {
  const h = await startHarness();
  try {
    for (const name of ["http://pi.local", "pi.local:8565", "pi local", ""]) {
      await assert.rejects(
        () =>
          startApi({
            scheduler: h.scheduler,
            host: "127.0.0.1",
            port: 0,
            token: null,
            insecure: false,
            cors: null,
            allowedHosts: [name],
          }),
        /allowed host .* is not a host name/,
        name,
      );
    }
  } finally {
    await h.close();
  }
});

Deno.test("pt run: --api-allowed-host (repeatable) and [api] allowed_hosts", async () => {
  const box = await Sandbox.create("petit-api-hosts-");
  try {
    await box.job("hello", 'id: hello\ntasks:\n  - id: a\n    command: "true"\n');
    const serve = async (extra: string[]) => {
      const p = box.pt([
        "run",
        box.jobs,
        "--db",
        box.db,
        "--api-port",
        "0",
        "--no-watch",
        ...extra,
      ]);
      const url = await waitUntil(`the API URL\n${p.stderr}`, () => {
        if (p.done) throw new Error(`pt run exited:\n${p.stderr}`);
        return /http:\/\/127\.0\.0\.1:\d+/.exec(p.stdout)?.[0];
      }, 30_000);
      return { p, port: Number(new URL(url).port) };
    };
    const status = async (port: number, host: string) => {
      const r = await rawRequest(port, { path: "/api/health", headers: { Host: host } });
      return r.status;
    };
    const flags = await serve(["--api-allowed-host", "pi.local", "--api-allowed-host", "nas.lan"]);
    try {
      assert.equal(await status(flags.port, "pi.local"), 200);
      assert.equal(await status(flags.port, "nas.lan:8565"), 200);
      assert.equal(await status(flags.port, "evil.test"), 403);
    } finally {
      assert.equal((await flags.p.stop()).code, 0);
    }
    const config = `${box.dir}/config.toml`;
    await Deno.writeTextFile(config, '[api]\nallowed_hosts = ["pi.local"]\n');
    const file = await serve(["--config", config]);
    try {
      assert.equal(await status(file.port, "pi.local"), 200);
      assert.equal(await status(file.port, "nas.lan"), 403);
    } finally {
      assert.equal((await file.p.stop()).code, 0);
    }
    const bad = await box.cli(["run", box.jobs, "--db", box.db, "--api-allowed-host", "http://x"]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /allowed host "http:\/\/x" is not a host name/);
  } finally {
    await box.cleanup();
  }
});

Deno.test("API: a client that hangs up mid-body is one log line, not a stack trace", async () => {
  const h = await startHarness();
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  try {
    const port = Number(new URL(h.url).port);
    for (const framing of ["length", "chunked"] as const) {
      for (const path of ["/api/jobs/quick/trigger", "/api/scheduler/pause"]) {
        logged.length = 0;
        await hangUpMidBody(port, path, framing);
        await waitFor(`a log line for ${framing} ${path}`, () => logged.length > 0 || undefined);
        // Anything else would have been logged by now too.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(logged.length, 1, `${framing} ${path}: ${logged.join("\n")}`);
        const [args] = logged;
        assert.equal(args.length, 1);
        assert.equal(typeof args[0], "string");
        const line = args[0] as string;
        assert.ok(!line.includes("\n"), line);
        assert.match(line, new RegExp(`POST ${path}.*closed the connection`));
      }
    }
    assert.deepEqual(h.storage.listRuns({}), [], "no run from a body that never came");
    assert.equal(h.scheduler.paused, false);
    // The server is fine.
    assert.equal((await h.json("/api/health")).status, 200);
  } finally {
    console.error = original;
    await h.close();
  }
});
