/**
 * Bearer-token authentication, compared in constant time.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { errorResponse } from "./errors.ts";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Whether two secrets are equal, in time independent of where they differ: both are hashed
 * first, so the loop always compares 32 bytes whatever the lengths.
 */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * Requires `Authorization: Bearer <token>` on every path but the open ones: those of the
 * routes the route table declares without auth (liveness probes, the dashboard page, which
 * holds no data), whatever the method.
 */
export function bearerAuth(token: string, openPaths: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    if (openPaths.has(c.req.path)) return await next();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match || !(await safeEqual(match[1], token))) {
      c.header("WWW-Authenticate", 'Bearer realm="petit"');
      const message = match
        ? "invalid token"
        : "missing bearer token (Authorization: Bearer <token>)";
      return errorResponse(c, "UNAUTHORIZED", message);
    }
    await next();
  };
}
