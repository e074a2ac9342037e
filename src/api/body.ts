/**
 * Request bodies, before any route sees them: refused over the size limit (413), then read
 * whole, so the routes parse a body already in memory. A client that hangs up before the
 * end of its body (a `Content-Length` never reached, a chunked body without its last chunk)
 * is noticed here, once, and logged as one line; before, the route that first read the body
 * failed with Deno's `BadResource`, and its stack trace went to the log as an internal error.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorResponse } from "./errors.ts";

/** The errors reading a request body gives when the connection is gone. */
const CONNECTION_ERRORS = [
  Deno.errors.BadResource,
  Deno.errors.ConnectionReset,
  Deno.errors.ConnectionAborted,
  Deno.errors.UnexpectedEof,
  Deno.errors.Interrupted,
];

/** Whether reading a body failed because the client went away. */
function isHangUp(err: unknown): boolean {
  return CONNECTION_ERRORS.some((type) => err instanceof type);
}

/**
 * The middleware: bodies over `maxBytes` are a 413 `PAYLOAD_TOO_LARGE`; others are read
 * (cached by Hono for `c.req.text()`, `json()` and the validators). A hang-up is logged with
 * `log` and answered 400, which no one receives.
 */
export function readBody(
  maxBytes: number,
  log: (line: string) => void = (line) => console.error(line),
): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      errorResponse(c, "PAYLOAD_TOO_LARGE", `request body is larger than ${maxBytes} bytes`),
  });
  return async (c, next) => {
    // No length and no chunked encoding means no body. Skipping those requests also keeps
    // bodyLimit from copying the request (and its signal, which makes Deno print a warning).
    const h = c.req.raw.headers;
    if (!h.has("content-length") && !h.has("transfer-encoding")) return await next();
    let read = false;
    let refused: Response | void;
    try {
      refused = await limit(c, async () => {
        await c.req.text();
        read = true;
      });
    } catch (err) {
      if (!isHangUp(err)) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      // The path as sent (percent-encoded): a decoded one could hold a line break.
      const path = /^[a-z]+:\/\/[^/]*([^?#]*)/i.exec(c.req.url)?.[1] ?? "";
      log(
        `petit: ${c.req.method} ${path}: the client closed the connection before the end ` +
          `of the request body (${reason})`,
      );
      return errorResponse(c, "BAD_REQUEST", "the request body ended early");
    }
    if (!read) return refused as Response;
    await next();
  };
}
