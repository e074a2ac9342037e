/**
 * How `pt run`'s API serves the web UI (`src/ui/serve.ts` through `createApp`): the one shell
 * page for every UI path, the files under `/ui/`, each with the Content-Security-Policy,
 * `nosniff` and an ETag; pages and files open without the token; anything else is left to
 * the API.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createApp } from "../../src/api/app.ts";
import { UI_ASSETS } from "../../src/ui/assets.ts";
import { UI_CSP } from "../../src/ui/serve.ts";
import { startHarness } from "../api/helpers.ts";

Deno.test("web UI: pages and files are served with the CSP, nosniff and an ETag", async () => {
  const h = await startHarness({ token: "s3cret" });
  try {
    const app = createApp({ scheduler: h.scheduler, engine: h.engine, token: "s3cret" });
    const shell = await (await app.request("/")).text();
    for (const path of ["/", "/jobs/quick", "/runs/some-run", "/jobs/not%20loaded"]) {
      const res = await app.request(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(await res.text(), shell, `${path} serves the shell`);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.equal(csp, UI_CSP);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /style-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe/);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    }
    for (const [name, asset] of UI_ASSETS) {
      const res = await app.request(`/ui/${name}`);
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get("content-type"), asset.type);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(await res.text(), asset.body);
      const etag = res.headers.get("etag")!;
      const again = await app.request(`/ui/${name}`, { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304, `${name} revalidates`);
      assert.equal(await again.text(), "");
    }
  } finally {
    await h.close();
  }
});

Deno.test("web UI: what is not a page or a file is the API's (404, 401, POST)", async () => {
  const h = await startHarness({ token: "s3cret" });
  try {
    const app = createApp({ scheduler: h.scheduler, engine: h.engine, token: "s3cret" });
    for (const path of ["/ui/nope.js", "/ui/", "/jobs/a/b", "/jobs/", "/runs"]) {
      const res = await app.request(path, { headers: { authorization: "Bearer s3cret" } });
      assert.equal(res.status, 404, path);
      assert.equal((await res.json()).code, "NOT_FOUND");
    }
    const post = await app.request("/jobs/quick", { method: "POST" });
    assert.equal(post.status, 401, "a POST is not a page");
    await post.body?.cancel();
    const data = await app.request("/api/jobs/quick");
    assert.equal(data.status, 401, "the data behind the pages needs the token");
    await data.body?.cancel();
  } finally {
    await h.close();
  }
});

Deno.test("web UI: a foreign Host is refused for pages too (DNS rebinding)", async () => {
  const h = await startHarness();
  try {
    const app = createApp({ scheduler: h.scheduler, engine: h.engine });
    for (const path of ["/", "/jobs/quick", "/ui/app.js"]) {
      const res = await app.request(`http://evil.example${path}`);
      assert.equal(res.status, 403, path);
      await res.body?.cancel();
    }
  } finally {
    await h.close();
  }
});
