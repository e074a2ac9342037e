/**
 * Request validation (`api/validation.ts`): the zod helpers on their own, and the Hono
 * validators in a small app with the API's error handler, so a failed check is seen as the
 * client sees it (400 `BAD_REQUEST` naming every bad field).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { z } from "zod";
import { onError } from "../../src/api/errors.ts";
import {
  blankBodyIsEmptyObject,
  cursorParam,
  describeIssues,
  intParam,
  jsonBody,
  parameterJsonSchema,
  params,
  query,
} from "../../src/api/validation.ts";
import { encodeRunCursor } from "../../src/storage/run_page.ts";

/** An app whose routes echo what the validators passed on. */
function app(): Hono {
  const hono = new Hono();
  hono.onError(onError);
  hono.get(
    "/items",
    query(z.object({ limit: intParam(1, 100).optional(), cursor: cursorParam().optional() })),
    (c) => c.json(c.req.valid("query")),
  );
  hono.get(
    "/items/:id",
    params(z.object({ id: z.string().regex(/^[a-z]+$/, { error: "must be lower case" }) })),
    (c) => c.json(c.req.valid("param")),
  );
  hono.post(
    "/items",
    blankBodyIsEmptyObject,
    jsonBody(z.strictObject({ force: z.boolean().optional(), name: z.string().optional() })),
    (c) => c.json(c.req.valid("json")),
  );
  return hono;
}

/** The status and JSON body of a request to {@link app}. */
async function call(path: string, init?: RequestInit): Promise<[number, unknown]> {
  const res = await app().request(path, init);
  return [res.status, await res.json()];
}

/** A 400 with this message, as the API sends it. */
const badRequest = (error: string): [number, unknown] => [400, { error, code: "BAD_REQUEST" }];

Deno.test("describeIssues(): names each bad field after where it was found", () => {
  const schema = z.object({ limit: z.number(), nested: z.object({ flag: z.boolean() }) });
  const result = schema.safeParse({ limit: "x", nested: { flag: 1 } });
  assert.ok(!result.success);
  assert.equal(
    describeIssues(result.error, "body"),
    "body limit: Invalid input: expected number, received string; " +
      "body nested.flag: Invalid input: expected boolean, received number",
  );
});

Deno.test("describeIssues(): an issue about the whole value names only where", () => {
  const result = z.object({}).safeParse("text");
  assert.ok(!result.success);
  assert.match(describeIssues(result.error, "body"), /^body: /);
});

Deno.test("intParam(): accepts whole numbers within the bounds", () => {
  const limit = intParam(1, 100);
  assert.equal(limit.parse("1"), 1);
  assert.equal(limit.parse("100"), 100);
  assert.equal(limit.parse("007"), 7);
});

Deno.test("intParam(): refuses signs, fractions, words and numbers out of bounds", () => {
  const limit = intParam(1, 100);
  for (const text of ["", "-1", "+1", "1.5", "1e2", "ten", " 5"]) {
    const result = limit.safeParse(text);
    assert.ok(!result.success, text);
    assert.equal(result.error.issues[0].message, "must be a whole number", text);
  }
  assert.ok(!limit.safeParse("0").success);
  assert.ok(!limit.safeParse("101").success);
});

Deno.test("cursorParam(): decodes a cursor to the run it points after", () => {
  const cursor = encodeRunCursor({ started_at: 1_700, id: "run-9" });
  assert.deepEqual(cursorParam().parse(cursor), { started_at: 1_700, id: "run-9" });
});

Deno.test("cursorParam(): says what is wrong with a cursor that is not one", () => {
  const result = cursorParam().safeParse("not a cursor!");
  assert.ok(!result.success);
  assert.equal(
    result.error.issues[0].message,
    "not base64url text (pass next_cursor from the previous page unchanged)",
  );
});

Deno.test("parameterJsonSchema(): gives a whole-number parameter as a bounded integer", () => {
  const schema = parameterJsonSchema(z.object({ limit: intParam(1, 1000) }));
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  assert.equal(properties.limit.type, "integer");
  assert.equal(properties.limit.minimum, 1);
  assert.equal(properties.limit.maximum, 1000);
});

Deno.test("parameterJsonSchema(): gives a cursor as the string it is on the wire", () => {
  const schema = parameterJsonSchema(z.object({ cursor: cursorParam() }));
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  assert.equal(properties.cursor.type, "string");
});

Deno.test("query(): hands the handler parsed values", async () => {
  const cursor = encodeRunCursor({ started_at: 5, id: "r" });
  assert.deepEqual(await call(`/items?limit=20&cursor=${cursor}`), [
    200,
    { limit: 20, cursor: { started_at: 5, id: "r" } },
  ]);
  assert.deepEqual(await call("/items"), [200, {}]);
});

Deno.test("query(): answers 400 naming every bad query parameter", async () => {
  assert.deepEqual(
    await call("/items?limit=0&cursor=%21"),
    badRequest(
      "query parameter limit: Too small: expected number to be >=1; " +
        "query parameter cursor: not base64url text " +
        "(pass next_cursor from the previous page unchanged)",
    ),
  );
});

Deno.test("params(): checks path parameters", async () => {
  assert.deepEqual(await call("/items/abc"), [200, { id: "abc" }]);
  assert.deepEqual(
    await call("/items/ABC"),
    badRequest("path parameter id: must be lower case"),
  );
});

Deno.test("jsonBody(): parses a JSON body sent with a JSON content type", async () => {
  for (
    const type of ["application/json", "application/json; charset=utf-8", "application/x+json"]
  ) {
    assert.deepEqual(
      await call("/items", {
        method: "POST",
        headers: { "content-type": type },
        body: '{"force":true}',
      }),
      [200, { force: true }],
      type,
    );
  }
});

Deno.test("jsonBody(): reads a body without a JSON content type as JSON all the same", async () => {
  // What `curl -d '{"force":true}'` sends.
  assert.deepEqual(
    await call("/items", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: '{"force":true}',
    }),
    [200, { force: true }],
  );
  assert.deepEqual(
    await call("/items", { method: "POST", headers: { "content-type": "text/plain" }, body: "" }),
    [200, {}],
  );
});

Deno.test("jsonBody(): answers 400 for a body that is not JSON", async () => {
  assert.deepEqual(
    await call("/items", { method: "POST", headers: { "content-type": "text/plain" }, body: "{" }),
    badRequest("request body is not valid JSON"),
  );
});

Deno.test("jsonBody(): answers 400 naming every bad field of the body", async () => {
  assert.deepEqual(
    await call("/items", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"force":"yes","name":3}',
    }),
    badRequest(
      "body force: Invalid input: expected boolean, received string; " +
        "body name: Invalid input: expected string, received number",
    ),
  );
});

Deno.test("blankBodyIsEmptyObject: a blank body with a JSON content type counts as {}", async () => {
  for (const body of ["", "  \n"]) {
    assert.deepEqual(
      await call("/items", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
      [200, {}],
      JSON.stringify(body),
    );
  }
});

Deno.test("blankBodyIsEmptyObject: a request without a body counts as {}", async () => {
  assert.deepEqual(await call("/items", { method: "POST" }), [200, {}]);
});
