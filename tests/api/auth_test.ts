/**
 * Bearer-token authentication (`api/auth.ts`): `safeEqual()` on its own, and `bearerAuth()`
 * as the app uses it, as middleware in front of a small Hono app.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { bearerAuth, safeEqual } from "../../src/api/auth.ts";

const TOKEN = "s3cret-token";

/** An app behind `bearerAuth(TOKEN)` with `/open` left open; `calls()` counts handler runs. */
function app(): { hono: Hono; calls: () => number } {
  let calls = 0;
  const hono = new Hono();
  hono.use("*", bearerAuth(TOKEN, new Set(["/open"])));
  hono.all("*", (c) => {
    calls++;
    return c.json({ ok: true });
  });
  return { hono, calls: () => calls };
}

/** Status, WWW-Authenticate header and JSON body of a request with `authorization`. */
async function call(
  path: string,
  authorization?: string,
  method = "GET",
): Promise<{ status: number; challenge: string | null; body: unknown; calls: number }> {
  const { hono, calls } = app();
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  const res = await hono.request(path, { method, headers });
  return {
    status: res.status,
    challenge: res.headers.get("www-authenticate"),
    body: await res.json(),
    calls: calls(),
  };
}

Deno.test("safeEqual(): is true for equal strings", async () => {
  assert.equal(await safeEqual("abc", "abc"), true);
  assert.equal(await safeEqual("", ""), true);
});

Deno.test("safeEqual(): is false for strings that differ anywhere or in length", async () => {
  assert.equal(await safeEqual("abc", "abd"), false);
  assert.equal(await safeEqual("abc", "xbc"), false);
  assert.equal(await safeEqual("abc", "abcd"), false);
  assert.equal(await safeEqual("abc", ""), false);
  assert.equal(await safeEqual("ABC", "abc"), false);
});

Deno.test("bearerAuth(): lets a request with the token through", async () => {
  const res = await call("/api/jobs", `Bearer ${TOKEN}`);
  assert.deepEqual([res.status, res.body, res.calls], [200, { ok: true }, 1]);
});

Deno.test("bearerAuth(): accepts any case of Bearer and spaces around the token", async () => {
  for (const header of [`bearer ${TOKEN}`, `BEARER   ${TOKEN}`, `Bearer ${TOKEN}  `]) {
    assert.equal((await call("/api/jobs", header)).status, 200, header);
  }
});

Deno.test("bearerAuth(): answers 401 with a challenge when the header is missing", async () => {
  const res = await call("/api/jobs");
  assert.equal(res.status, 401);
  assert.equal(res.challenge, 'Bearer realm="petit"');
  assert.deepEqual(res.body, {
    error: "missing bearer token (Authorization: Bearer <token>)",
    code: "UNAUTHORIZED",
  });
  assert.equal(res.calls, 0, "the handler never runs");
});

Deno.test("bearerAuth(): treats a header of another scheme or shape as missing", async () => {
  for (
    const header of [`Basic ${btoa("u:p")}`, "Bearer", `Bearer${TOKEN}`, `Bearer a b`, `${TOKEN}`]
  ) {
    const res = await call("/api/jobs", header);
    assert.equal(res.status, 401, header);
    assert.deepEqual(
      res.body,
      { error: "missing bearer token (Authorization: Bearer <token>)", code: "UNAUTHORIZED" },
      header,
    );
  }
});

Deno.test("bearerAuth(): answers 401 invalid token for a wrong token", async () => {
  for (const token of ["wrong", `${TOKEN}x`, TOKEN.toUpperCase()]) {
    const res = await call("/api/jobs", `Bearer ${token}`);
    assert.equal(res.status, 401, token);
    assert.equal(res.challenge, 'Bearer realm="petit"');
    assert.deepEqual(res.body, { error: "invalid token", code: "UNAUTHORIZED" });
    assert.equal(res.calls, 0);
  }
});

Deno.test("bearerAuth(): leaves open paths open, whatever the method", async () => {
  for (const method of ["GET", "POST", "DELETE"]) {
    const res = await call("/open", undefined, method);
    assert.equal(res.status, 200, method);
  }
  // A wrong token on an open path is not checked either.
  assert.equal((await call("/open", "Bearer wrong")).status, 200);
});

Deno.test("bearerAuth(): matches open paths exactly", async () => {
  assert.equal((await call("/open/more")).status, 401);
  assert.equal((await call("/opener")).status, 401);
});
