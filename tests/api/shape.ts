/**
 * Checks the API's answers against its route table: a body is parsed with the schema its
 * route declares for that status and media type, so an answer the OpenAPI document does not
 * describe (a new field, an undeclared status, a wrong error code) fails the test that got
 * it. The harness's `json()` checks every answer it fetches this way.
 *
 * @module
 */

import { z } from "zod";
import { findRoute, responseSchema, type RouteSpec } from "../../src/api/contract.ts";
import { ERROR_STATUS } from "../../src/api/errors.ts";
import { ROUTES } from "../../src/api/route_table.ts";
import { ErrorBodySchema } from "../../src/core/view_schemas.ts";

/** `GET /api/jobs/{id}` for messages. */
function label(route: RouteSpec): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

/** Throws unless an error body's code is the one of its status. */
function expectErrorCode(where: string, status: number, body: unknown): void {
  const parsed = ErrorBodySchema.parse(body);
  if (ERROR_STATUS[parsed.code] !== status) {
    throw new Error(`${where}: status ${status} carries code ${parsed.code}`);
  }
}

/**
 * Parses `body` with the schema `route` declares for `status` and `mediaType`; throws when
 * the route declares no such answer or the body does not match. Returns the parsed body.
 */
export function expectShape(
  route: RouteSpec,
  status: number,
  body: unknown,
  mediaType = "application/json",
): unknown {
  const schema = responseSchema(route, status, mediaType);
  if (!schema) throw new Error(`${label(route)} declares no ${status} ${mediaType} answer`);
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new Error(
      `${label(route)} ${status}: the body does not match its schema:\n` +
        `${z.prettifyError(result.error)}\nbody: ${JSON.stringify(body).slice(0, 400)}`,
    );
  }
  if (status >= 400) expectErrorCode(label(route), status, body);
  return result.data;
}

/**
 * Checks the answer to `method` on `url` (a path, with or without a query, or a whole URL):
 * with its route's schema, or, when no route serves it, as the JSON error of an unknown
 * route (404, or 401, 403 or 413 before it).
 */
export function expectAnswerShape(
  method: string,
  url: string,
  status: number,
  body: unknown,
  mediaType = "application/json",
): void {
  const path = new URL(url, "http://petit.test").pathname;
  const route = findRoute(ROUTES, method, path);
  if (route) {
    expectShape(route, status, body, mediaType);
    return;
  }
  const where = `${method} ${path} (no route)`;
  if (![401, 403, 404, 413, 500].includes(status)) throw new Error(`${where}: status ${status}`);
  expectErrorCode(where, status, body);
}

/** `text/plain` of `text/plain; charset=UTF-8`. */
function essence(mediaType: string): string {
  return mediaType.split(";")[0].trim().toLowerCase();
}

/**
 * Reads a response's body (JSON, or text for other media types) and checks it with
 * {@link expectAnswerShape}; returns the body. Not for event streams, which never end.
 */
export async function readAnswer(method: string, url: string, res: Response): Promise<unknown> {
  const type = res.headers.get("content-type") ?? "";
  const body = essence(type) === "application/json" ? await res.json() : await res.text();
  // The route table names media types without the charset Hono adds (metrics with its own).
  const route = findRoute(ROUTES, method, new URL(url, "http://petit.test").pathname);
  const declared = Object.keys(route?.ok.content ?? {}).find((t) => essence(t) === essence(type));
  expectAnswerShape(method, url, res.status, body, declared ?? essence(type));
  return body;
}
