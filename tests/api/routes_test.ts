import assert from "node:assert/strict";
import { createApp } from "../../src/api/app.ts";
import type { JobView } from "../../src/core/views.ts";
import { VERSION } from "../../src/version.ts";
import { startHarness } from "./helpers.ts";
import { readAnswer } from "./shape.ts";

type Json = Record<string, unknown>;

Deno.test("health, scheduler state, pause and resume", async () => {
  const h = await startHarness();
  try {
    const health = await h.json("/api/health");
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: "ok", version: VERSION });

    const running = { state: "running", is_running: true, is_paused: false };
    assert.deepEqual((await h.json("/api/scheduler/state")).body, running);
    const paused = await h.json("/api/scheduler/pause", { method: "POST" });
    assert.deepEqual(paused.body, { state: "paused", is_running: false, is_paused: true });
    assert.equal(h.scheduler.paused, true);
    // Pausing twice is fine and says the same.
    assert.deepEqual((await h.json("/api/scheduler/pause", { method: "POST" })).body, paused.body);
    assert.deepEqual((await h.json("/api/scheduler/state")).body, paused.body);
    assert.deepEqual((await h.json("/api/scheduler/resume", { method: "POST" })).body, running);
    assert.equal(h.scheduler.paused, false);
  } finally {
    await h.close();
  }
});

Deno.test("jobs: list and detail", async () => {
  const h = await startHarness();
  try {
    const list = await h.json<{ jobs: JobView[]; count: number }>("/api/jobs");
    assert.equal(list.status, 200);
    assert.equal(list.body.count, 5);
    assert.deepEqual(
      list.body.jobs.map((j) => j.id).sort(),
      ["dependent", "failing", "quick", "slow", "upstream"],
    );
    const quick = list.body.jobs.find((j) => j.id === "quick")!;
    assert.equal(quick.name, "Quick");
    assert.equal(quick.enabled, true);
    assert.equal(quick.scheduled, true);
    assert.equal(quick.schedule, "0 0 1 1 *");
    assert.equal(quick.task_count, 2);
    assert.equal(quick.next_run, h.engine.nextRun("quick"));
    assert.ok(quick.next_run! > Date.now());
    const slow = list.body.jobs.find((j) => j.id === "slow")!;
    assert.equal(slow.scheduled, false);
    assert.equal(slow.next_run, null);

    const detail = await h.json<Json>("/api/jobs/quick");
    assert.equal(detail.status, 200);
    assert.equal(detail.body.last_run, null);
    assert.deepEqual(detail.body.tasks, [
      { id: "first", name: "first", depends_on: [], condition: "all_success" },
      { id: "second", name: "second", depends_on: ["first"], condition: "all_success" },
    ]);
    assert.deepEqual(detail.body.depends_on, []);
    const dep = await h.json<Json>("/api/jobs/dependent");
    assert.deepEqual(dep.body.depends_on, [
      { job_id: "upstream", condition: "last_success", window_ms: null },
    ]);

    const missing = await h.json("/api/jobs/nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, "NOT_FOUND");
    assert.match(String(missing.body.error), /unknown job id "nope" \(known jobs: dependent, /);
  } finally {
    await h.close();
  }
});

Deno.test("unknown routes and methods are JSON 404s", async () => {
  const h = await startHarness();
  try {
    for (
      const [method, path] of [["GET", "/nope"], ["GET", "/api/nope"], [
        "GET",
        "/api/scheduler/pause",
      ]]
    ) {
      const r = await h.json(path, { method });
      assert.equal(r.status, 404, path);
      assert.match(r.res.headers.get("content-type") ?? "", /application\/json/);
      assert.deepEqual(r.body, { error: `no route ${method} ${path}`, code: "NOT_FOUND" });
    }
  } finally {
    await h.close();
  }
});

Deno.test("the web UI's page is served at / without a token and uses the API", async () => {
  const h = await startHarness({ token: "s3cret" });
  try {
    const res = await fetch(`${h.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const html = String(await readAnswer("GET", "/", res));
    assert.match(html, /<title>Petit<\/title>/);
    // The page's script (tests/ui/ drives it in a browser) calls the API.
    assert.match(html, /<script type="module" src="\/ui\/app\.js"><\/script>/);
    const script = await fetch(`${h.url}/ui/app.js`);
    assert.equal(script.status, 200, "the script opens without a token too");
    assert.ok((await script.text()).includes("/api/events"));
    const api = await fetch(`${h.url}/api/jobs`);
    await api.body?.cancel();
    assert.equal(api.status, 401, "the data behind it still needs the token");
  } finally {
    await h.close();
  }
});

Deno.test("bad query parameters and bodies are 400s; untyped bodies 403; large ones 413", async () => {
  const h = await startHarness();
  try {
    for (
      const q of [
        "limit=0",
        "limit=1001",
        "limit=abc",
        "limit=-1",
        "status=bogus",
        "before=yesterday",
        "lmit=5",
      ]
    ) {
      const r = await h.json(`/api/jobs/quick/runs?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, "BAD_REQUEST");
      assert.match(String(r.body.error), /^query parameter/, q);
    }
    const post = (body: string, type: string | null = "application/json") =>
      h.json("/api/jobs/quick/trigger", {
        method: "POST",
        body,
        headers: type ? { "content-type": type } : {},
      });
    for (
      const [body, type] of [
        ["{not json", "application/json"],
        ['{"force":"yes"}', "application/json"],
        ['{"forse":true}', "application/json"],
        ["[1]", "application/json"],
      ] as const
    ) {
      const r = await post(body, type);
      assert.equal(r.status, 400, body);
      assert.equal(r.body.code, "BAD_REQUEST");
    }
    // A body without a JSON type is refused before it is read (guard_test.ts has more).
    const untyped = await post("{not json", null);
    assert.equal(untyped.status, 403);
    assert.equal(untyped.body.code, "FORBIDDEN");
    const big = await post(JSON.stringify({ force: false, pad: "x".repeat(70 * 1024) }));
    assert.equal(big.status, 413);
    assert.deepEqual(big.body, {
      error: "request body is larger than 65536 bytes",
      code: "PAYLOAD_TOO_LARGE",
    });
    // A chunked body (no Content-Length) is counted as it arrives.
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    const chunked = await h.fetch("/api/jobs/quick/trigger", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(chunk);
          controller.close();
        },
      }),
    });
    assert.equal(chunked.status, 413);
    const tooLarge = await readAnswer("POST", "/api/jobs/quick/trigger", chunked) as Json;
    assert.equal(tooLarge.code, "PAYLOAD_TOO_LARGE");
    // Blank bodies are fine, with or without a JSON content type.
    for (const type of ["application/json", null]) {
      const ok = await post("", type);
      assert.equal(ok.status, 200);
      await h.json(`/api/runs/${ok.body.run_id}`); // exists
    }
  } finally {
    await h.close();
  }
});

Deno.test("a token guards every route but health, compared as a whole", async () => {
  const h = await startHarness({ token: "s3cret-token" });
  try {
    const bare = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${h.url}${path}`, { headers });
    const health = await bare("/api/health");
    assert.equal(health.status, 200);
    await health.body?.cancel();
    for (const path of ["/api/jobs", "/metrics", "/api/openapi.json", "/api/nope", "/api/events"]) {
      for (
        const headers of [
          {} as Record<string, string>,
          { authorization: "Bearer wrong" },
          { authorization: "Bearer s3cret-token-and-more" },
          { authorization: "Bearer s3cret" },
          { authorization: "Basic s3cret-token" },
        ]
      ) {
        const r = await bare(path, headers);
        assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
        const body = await readAnswer("GET", path, r) as Json;
        assert.equal(body.code, "UNAUTHORIZED");
      }
    }
    const ok = await bare("/api/jobs", { authorization: "Bearer s3cret-token" });
    assert.equal(ok.status, 200);
    assert.equal((await readAnswer("GET", "/api/jobs", ok) as Json).count, 5);
    const lower = await bare("/api/jobs", { authorization: "bearer s3cret-token" });
    assert.equal(lower.status, 200);
    await lower.body?.cancel();
  } finally {
    await h.close();
  }
});

Deno.test("CORS is off by default and allows exactly the configured origin", async () => {
  const off = await startHarness();
  try {
    const r = await fetch(`${off.url}/api/jobs`, { headers: { origin: "http://ui.test" } });
    await r.body?.cancel();
    assert.equal(r.headers.get("access-control-allow-origin"), null);
  } finally {
    await off.close();
  }
  const on = await startHarness({ cors: "http://ui.test", token: "t0ken" });
  try {
    const pre = await fetch(`${on.url}/api/jobs/quick/trigger`, {
      method: "OPTIONS",
      headers: {
        origin: "http://ui.test",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    await pre.body?.cancel();
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "http://ui.test");
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /Authorization/i);
    const get = await on.fetch("/api/jobs", { headers: { origin: "http://ui.test" } });
    await get.body?.cancel();
    assert.equal(get.status, 200);
    assert.equal(get.headers.get("access-control-allow-origin"), "http://ui.test");
    const other = await on.fetch("/api/jobs", { headers: { origin: "http://evil.test" } });
    await other.body?.cancel();
    assert.notEqual(other.headers.get("access-control-allow-origin"), "http://evil.test");
  } finally {
    await on.close();
  }
});

Deno.test("internal errors are logged, not leaked", async () => {
  const h = await startHarness();
  const errors: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    // Closing the store under the API makes every read throw.
    const app = createApp({ scheduler: h.scheduler, engine: h.engine });
    const realList = h.storage.listRuns.bind(h.storage);
    h.storage.listRuns = () => {
      throw new Error("disk on fire at /secret/path/petit.db");
    };
    const res = await app.request("/api/jobs/quick/runs");
    h.storage.listRuns = realList;
    assert.equal(res.status, 500);
    const body = await readAnswer("GET", "/api/jobs/quick/runs", res);
    assert.deepEqual(body, {
      error: "internal error (see the server log)",
      code: "INTERNAL_ERROR",
    });
    assert.ok(!JSON.stringify(body).includes("/secret"));
    assert.ok(errors.some((args) => String(args[1]).includes("disk on fire")));
    // A newline smuggled into the path stays inside one quoted log line.
    h.storage.listRuns = () => {
      throw new Error("again");
    };
    const forged = await app.request("/api/jobs/quick%0AINFO%20forged/runs");
    h.storage.listRuns = realList;
    await forged.body?.cancel();
    const line = String(errors.at(-1)?.[0]);
    assert.ok(!line.includes("\n"), line);
  } finally {
    console.error = original;
    await h.close();
  }
});
