/**
 * What a route of the API declares, once: method, path, summary, whether it needs the token,
 * the validators of its path, query, headers and body, and its answers. The route table
 * (`route_table.ts`) is a list of these; the route modules take their paths and validators
 * from it, `auth.ts` its open paths, `openapi.ts` the whole document, and the API tests the
 * schema of every answer they get ({@link responseSchema}).
 *
 * Pure data and lookups: no I/O.
 *
 * @module
 */

import type { z } from "zod";
import { ErrorBodySchema } from "../core/view_schemas.ts";

/** Tags grouping the operations of the OpenAPI document, with their descriptions. */
export const TAGS = {
  system: "Liveness, this document, metrics and the dashboard page",
  scheduler: "Pausing and resuming scheduled fires",
  jobs: "Loaded jobs: their state, runs and manual triggers",
  runs: "Runs, their tasks and logs; cancel and retry",
  events: "Live events (server-sent events)",
} as const;

/** A tag of {@link TAGS}. */
export type Tag = keyof typeof TAGS;

/** Error statuses a route declares itself (401, 403, 413, 500, 503 are added by {@link responses}). */
export type DeclaredErrorStatus = 400 | 404 | 409 | 429;

/** The successful (200) answer of a route. */
export interface OkResponse {
  /** What the answer is. */
  readonly description: string;
  /** The body's schema per media type (`application/json`, `text/plain`, …). */
  readonly content: Readonly<Record<string, z.ZodType>>;
}

/** One route of the API. */
export interface RouteSpec {
  /** HTTP method (lower case, as in OpenAPI). */
  readonly method: "get" | "post";
  /** Path as in OpenAPI: parameters in braces (`/api/jobs/{id}`). */
  readonly path: `/${string}`;
  /** One line for people. */
  readonly summary: string;
  /** More than one line, when needed. */
  readonly description?: string;
  /** The group of the route. */
  readonly tag: Tag;
  /** Whether the route needs the token (when the server has one). */
  readonly auth: boolean;
  /** Path parameters (every name in the path, all strings). */
  readonly params?: z.ZodObject;
  /** The query validator (`validation.ts` `query()`). */
  readonly query?: z.ZodObject;
  /** Request headers the route reads; documented only (the route parses them itself). */
  readonly headers?: z.ZodObject;
  /** The JSON body validator (`validation.ts` `jsonBody()`); a blank body is `{}`. */
  readonly body?: z.ZodObject;
  /** The 200 answer. */
  readonly ok: OkResponse;
  /** The errors the route itself gives, with when. */
  readonly errors?: Readonly<Partial<Record<DeclaredErrorStatus, string>>>;
}

/** The API's routes by operation id. */
export type RouteTable = Readonly<Record<string, RouteSpec>>;

/** Checks a route table and keeps its exact types (so routes get typed validators). */
export function defineRoutes<const T extends RouteTable>(routes: T): T {
  for (const [id, route] of Object.entries(routes)) {
    const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const declared = Object.keys(route.params?.shape ?? {}).sort();
    if (inPath.join() !== declared.join()) {
      throw new Error(`petit: route ${id}: path parameters ${inPath} but params ${declared}`);
    }
    // auth.ts compares open paths as they are: a path with parameters would never match.
    if (!route.auth && inPath.length > 0) {
      throw new Error(`petit: route ${id}: an open route cannot have path parameters`);
    }
  }
  return routes;
}

/** The route's path as Hono writes it: `/api/jobs/{id}` → `/api/jobs/:id`. */
export function honoPath(route: Pick<RouteSpec, "path">): string {
  return route.path.replace(/\{(\w+)\}/g, ":$1");
}

/** One answer of a route: the body schema per media type (errors are `{error, code}`). */
export interface ResponseSpec {
  /** What the answer means. */
  readonly description: string;
  /** Body schema per media type. */
  readonly content: Readonly<Record<string, z.ZodType>>;
  /** For the errors every route shares: the name of the shared response. */
  readonly shared?:
    | "Unauthorized"
    | "Forbidden"
    | "PayloadTooLarge"
    | "InternalError"
    | "Unavailable";
}

const errorContent = { "application/json": ErrorBodySchema };

/** The answers every route may give besides its own. */
export const SHARED_RESPONSES = {
  Unauthorized: {
    description: "missing or wrong bearer token (only when the server has a token)",
    content: errorContent,
  },
  Forbidden: {
    description: "refused before any route runs: a `Host` that is not one of the server's names, " +
      "or a change (POST) from another origin or with a body that is not JSON",
    content: errorContent,
  },
  PayloadTooLarge: { description: "request body over the server's limit", content: errorContent },
  InternalError: {
    description: "a bug or a storage failure (details go to the server log)",
    content: errorContent,
  },
  Unavailable: {
    description: "the database could not be written (disk full or failing); the change is " +
      "kept and saved once there is space",
    content: errorContent,
  },
} as const satisfies Record<string, ResponseSpec>;

/**
 * Every answer a route may give, by status: its 200 and declared errors, 401 when it needs
 * the token, and 403 (`guard.ts` checks every request), 413 (any request body is
 * size-checked) and 500 for all; 503 for changes (POST), which write to the database.
 */
export function responses(route: RouteSpec): Map<number, ResponseSpec> {
  const out = new Map<number, ResponseSpec>([[200, route.ok]]);
  for (const [status, description] of Object.entries(route.errors ?? {})) {
    out.set(Number(status), { description, content: errorContent });
  }
  if (route.auth) out.set(401, { ...SHARED_RESPONSES.Unauthorized, shared: "Unauthorized" });
  out.set(403, { ...SHARED_RESPONSES.Forbidden, shared: "Forbidden" });
  out.set(413, { ...SHARED_RESPONSES.PayloadTooLarge, shared: "PayloadTooLarge" });
  out.set(500, { ...SHARED_RESPONSES.InternalError, shared: "InternalError" });
  if (route.method === "post") {
    out.set(503, { ...SHARED_RESPONSES.Unavailable, shared: "Unavailable" });
  }
  return new Map([...out].sort(([a], [b]) => a - b));
}

/**
 * The schema of a route's answer with this status and media type, or null when the route
 * does not declare it.
 */
export function responseSchema(
  route: RouteSpec,
  status: number,
  mediaType = "application/json",
): z.ZodType | null {
  return responses(route).get(status)?.content[mediaType] ?? null;
}

/** The route serving `method` and a request path (no query), or null. */
export function findRoute(routes: RouteTable, method: string, path: string): RouteSpec | null {
  const m = method.toLowerCase();
  for (const route of Object.values(routes)) {
    if (route.method !== m) continue;
    const pattern = route.path.replace(/[.]/g, "\\.").replace(/\{\w+\}/g, "[^/]+");
    if (new RegExp(`^${pattern}$`).test(path)) return route;
  }
  return null;
}

/** Paths anyone may call, token or not. */
export function openPaths(routes: RouteTable): Set<string> {
  return new Set(Object.values(routes).filter((r) => !r.auth).map((r) => r.path));
}
