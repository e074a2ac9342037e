/**
 * Request validation with zod through Hono's `validator`: a failed check is a 400
 * `BAD_REQUEST` naming every bad field.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import { z } from "zod";
import { decodeRunCursor, InvalidCursorError, type RunKey } from "../storage/run_page.ts";
import { ApiError } from "./errors.ts";

/** `field: message; field: message` from a zod error. */
export function describeIssues(error: z.ZodError, where: string): string {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return `${path ? `${where} ${path}` : where}: ${issue.message}`;
  }).join("; ");
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApiError("BAD_REQUEST", describeIssues(result.error, where));
  return result.data;
}

/** A whole number in `[min, max]` written in a query string. */
export function intParam(min: number, max: number): z.ZodType<number, string> {
  return z.string()
    .regex(/^\d+$/, { error: "must be a whole number" })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/**
 * A `next_cursor` handed back in a query string, decoded to the run it points after; a
 * cursor that is not one says what is wrong with it. Documented as the string it is on the
 * wire: JSON Schema cannot state the decoding (see {@link parameterJsonSchema}).
 */
export function cursorParam(): z.ZodType<RunKey, string> {
  return z.string().transform((cursor, ctx) => {
    try {
      return decodeRunCursor(cursor);
    } catch (err) {
      if (!(err instanceof InvalidCursorError)) throw err;
      ctx.issues.push({ code: "custom", message: err.reason, input: cursor });
      return z.NEVER;
    }
  }).meta({ type: "string" });
}

/**
 * The JSON Schema of parameters (path, query, header) as the validator outputs them: a
 * query `limit` of {@link intParam} is an integer with its bounds. A transform's output
 * (such as a decoded cursor) has no JSON Schema: it is left to the `.meta()` of its
 * validator, which says what it is on the wire.
 */
export function parameterJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io: "output",
    unrepresentable: ({ zodSchema }) => zodSchema._zod.def.type === "transform" ? "any" : "throw",
  }) as Record<string, unknown>;
}

/** Validates the query string (`c.req.valid("query")`). */
export function query<S extends z.ZodType>(schema: S) {
  return validator("query", (value) => parse(schema, value, "query parameter"));
}

/** Validates path parameters (`c.req.valid("param")`). */
export function params<S extends z.ZodType>(schema: S) {
  return validator("param", (value) => parse(schema, value, "path parameter"));
}

/**
 * Blank bodies become `{}`, so `curl -X POST` works with or without a JSON content type.
 * Must run before {@link jsonBody}.
 */
export const blankBodyIsEmptyObject: MiddlewareHandler = async (c, next) => {
  const raw = c.req.raw;
  if (raw.headers.has("content-type") && (await c.req.text()).trim() === "") {
    // Without a content type Hono does not try (and fail) to parse the blank body as JSON.
    const headers = new Headers(raw.headers);
    headers.delete("content-type");
    c.req.raw = new Request(raw.url, { method: raw.method, headers });
  }
  await next();
};

/**
 * Validates a JSON body (`c.req.valid("json")`). A body sent without a JSON content type
 * (as `curl -d` does) is parsed as JSON all the same rather than silently ignored. In the
 * app, `guard.ts` refuses such a body first (a web page can send one without asking), so
 * there this only sees an empty one.
 */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return validator("json", async (value, c: Context) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (!/^application\/([\w.-]+\+)?json$/.test(type)) {
      // Hono only reads JSON media types; `value` is `{}` here whatever was sent.
      const text = await c.req.text();
      try {
        value = text.trim() === "" ? {} : JSON.parse(text);
      } catch {
        throw new ApiError("BAD_REQUEST", "request body is not valid JSON");
      }
    }
    return parse(schema, value, "body");
  });
}
