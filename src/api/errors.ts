/**
 * The API's errors `{error, code}` (the shape is `ErrorBodySchema` in core) and the handlers
 * that turn every failure into one: refusals, validation errors, unknown routes, oversized
 * bodies and unexpected exceptions.
 *
 * @module
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody, ErrorCode } from "../core/views.ts";
import { TriggerRefusedError } from "../scheduler/scheduler.ts";
import { RunExistsError, RunNotFoundError, WritesNotCommittedError } from "../storage/errors.ts";

export type { ErrorBody, ErrorCode };

/** The HTTP status of each error code. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_ERROR: 500,
  UNAVAILABLE: 503,
};
/** A failure with a known status; thrown by handlers and rendered as `{error, code}`. */
export class ApiError extends Error {
  /** The error code, which decides the HTTP status. */
  readonly code: ErrorCode;

  /** Builds the error; `message` is sent to the client as is. */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
  }

  /** The HTTP status of this error. */
  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

/** Builds a `{error, code}` JSON response. */
export function errorResponse(c: Context, code: ErrorCode, message: string): Response {
  const body: ErrorBody = { error: message, code };
  return c.json(body, ERROR_STATUS[code]);
}

/** Maps a scheduler refusal to its HTTP error. */
export function refusalError(err: TriggerRefusedError): ApiError {
  switch (err.code) {
    case "bad_params":
      return new ApiError("BAD_REQUEST", err.message);
    case "not_found":
      return new ApiError("NOT_FOUND", err.message);
    case "limit":
      return new ApiError("TOO_MANY_REQUESTS", err.message);
    case "dependency":
    case "not_finished":
    case "stopping":
      return new ApiError("CONFLICT", err.message);
  }
}

function codeOfStatus(status: number): ErrorCode {
  const found = (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).find(([, s]) =>
    s === status
  );
  return found?.[0] ?? (status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST");
}

/** `app.onError`: known failures keep their status; anything else is a logged 500. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return errorResponse(c, err.code, err.message);
  if (err instanceof TriggerRefusedError) {
    const e = refusalError(err);
    return errorResponse(c, e.code, e.message);
  }
  // The store's own refusals: a run that is not there (or was pruned meanwhile), an id taken.
  if (err instanceof RunNotFoundError) return errorResponse(c, "NOT_FOUND", err.message);
  if (err instanceof RunExistsError) return errorResponse(c, "CONFLICT", err.message);
  // The disk refused the write: the operator's to fix, not a bug (the store logs it, once).
  if (err instanceof WritesNotCommittedError) {
    return errorResponse(
      c,
      "UNAVAILABLE",
      "the database could not be written (disk full or failing): the change holds now and " +
        "is saved once there is space; free disk space on the server",
    );
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = codeOfStatus(err.status);
    // Hono's own messages (malformed JSON, body limit) are safe to show.
    return errorResponse(c, code, err.message || defaultMessage(code));
  }
  // The real error goes to the operator's log only: stacks and paths stay off the wire. The
  // path is quoted: a decoded %0A in it must not start a forged log line.
  console.error(`petit: API error on ${c.req.method} ${JSON.stringify(c.req.path)}:`, err);
  return errorResponse(c, "INTERNAL_ERROR", "internal error (see the server log)");
}

/** `app.notFound`: unknown routes are JSON too. */
export function onNotFound(c: Context): Response {
  return errorResponse(c, "NOT_FOUND", `no route ${c.req.method} ${c.req.path}`);
}

function defaultMessage(code: ErrorCode): string {
  return code.toLowerCase().replaceAll("_", " ");
}
