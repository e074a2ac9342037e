/**
 * Refuses (403 `FORBIDDEN`) what a web page can make a browser send to the API behind its
 * user's back, before any route or the token check runs:
 *
 * - a `Host` that is not one of the server's names. A page on `evil.example` whose name the
 *   attacker then points at 127.0.0.1 (DNS rebinding) is same-origin with the API in the
 *   browser's eyes and could read every route; its requests still say `Host: evil.example`.
 *   Loopback names and IP addresses are always accepted (an address has no DNS to rebind);
 *   other names only when configured (`--api-allowed-host`). A token-protected server on
 *   a public address may skip this check: see `hostNames()` in `server.ts`.
 * - a change (any method but GET, HEAD and OPTIONS) from another origin: a cross-site form
 *   POST or `fetch(…, {mode: "no-cors"})` reaches the server even though the page never
 *   sees the answer. Browsers send `Origin` with every POST; it must be this server's own
 *   (the dashboard) or the `--api-cors` one. No `Origin` (curl, scripts) is fine.
 * - a change with a body that is not JSON. A page can only send the CORS-safelisted types
 *   (`text/plain`, forms) without asking first, so this holds even where `Origin` is missing
 *   (old browsers, proxies that strip it). An empty body is no body: `curl -X POST` works.
 *
 * Pure: reads headers only, never the body.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { errorResponse } from "./errors.ts";
import { hostOfAuthority, isIpAddress, isLoopbackHost, normalizeHostName } from "./hosts.ts";

/** Options of {@link requestGuard}. */
export interface GuardOptions {
  /**
   * Names `Host` may give besides loopback names and addresses; null accepts any `Host`.
   */
  readonly allowedHosts: readonly string[] | null;
  /** The origin `--api-cors` allows (`*` for any), or null. */
  readonly cors: string | null;
}

/** Methods that change nothing; every other one must pass the origin and body checks. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** Longest piece of a refused header quoted back in the error message. */
const QUOTE_MAX = 100;

function quote(value: string): string {
  return JSON.stringify(value.length > QUOTE_MAX ? `${value.slice(0, QUOTE_MAX)}…` : value);
}

/**
 * The authority a request was sent to: its `Host` header, or with HTTP/2 (which has none) the
 * authority of its URL, which Deno builds from `:authority`.
 */
function authorityOf(c: Context): string {
  return c.req.header("host") || (/^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(c.req.url)?.[1] ?? "");
}

/** Whether `host` (a name from {@link hostOfAuthority}) is one the server answers to. */
function knownHost(host: string, names: ReadonlySet<string> | null): boolean {
  return names === null || isLoopbackHost(host) || isIpAddress(host) || names.has(host);
}

/** Whether `origin` is the origin of a page served by this server under `authority`. */
function isOwnOrigin(origin: string, authority: string): boolean {
  try {
    const url = new URL(origin);
    // The origin's host against the request's, with the same default port left out.
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === origin &&
      url.host === new URL(`${url.protocol}//${authority}`).host;
  } catch {
    return false; // "null", or not a URL
  }
}

/** Whether the request has a body: a length over 0, or chunks. */
function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return headers.has("transfer-encoding") || (length !== null && length.trim() !== "0");
}

/** `application/json` or any `application/…+json`, with or without parameters. */
function isJsonMediaType(contentType: string | undefined): boolean {
  const essence = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return /^application\/([\w.-]+\+)?json$/.test(essence);
}

/** The middleware; see the module documentation for what it refuses and why. */
export function requestGuard(options: GuardOptions): MiddlewareHandler {
  const names = options.allowedHosts === null
    ? null
    : new Set(options.allowedHosts.map(normalizeHostName));
  const cors = options.cors;
  return async (c, next) => {
    const authority = authorityOf(c);
    // No Host at all (HTTP/1.0) never comes from a browser.
    if (authority !== "") {
      const host = hostOfAuthority(authority);
      if (host === null || !knownHost(host, names)) {
        return errorResponse(
          c,
          "FORBIDDEN",
          `requests for host ${quote(authority)} are refused: use 127.0.0.1 or localhost, or ` +
            `start pt run with --api-allowed-host ${host ?? "NAME"} (or [api] allowed_hosts) ` +
            "to accept that name",
        );
      }
    }
    if (SAFE_METHODS.has(c.req.method)) return await next();
    const origin = c.req.header("origin");
    if (
      origin !== undefined && cors !== "*" && origin !== cors && !isOwnOrigin(origin, authority)
    ) {
      return errorResponse(
        c,
        "FORBIDDEN",
        `${c.req.method} from the web page of origin ${quote(origin)} refused: only the ` +
          "server's own pages may change anything (allow one more origin with --api-cors)",
      );
    }
    const type = c.req.header("content-type");
    if (hasBody(c.req.raw.headers) && !isJsonMediaType(type)) {
      return errorResponse(
        c,
        "FORBIDDEN",
        `a ${c.req.method} body must be JSON: send Content-Type: application/json ` +
          `(got ${type === undefined ? "no Content-Type" : quote(type)})`,
      );
    }
    await next();
  };
}
