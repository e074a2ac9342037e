/**
 * Serving the web UI: the same shell page for every UI path (`/`, `/jobs/{id}`,
 * `/runs/{id}`, so a bookmark or a reload lands on its page) and the files under `/ui/`,
 * from memory (`assets.ts`). The pages hold no data: they call the API, which keeps its own
 * token check. Every answer carries a Content-Security-Policy that allows scripts and styles
 * from this server only (no inline script, no event-handler attributes, no style attributes),
 * `X-Content-Type-Options: nosniff`, and an ETag, so a browser revalidates with a 304.
 *
 * Pure: requests in, responses out; no I/O, no permissions.
 *
 * @module
 */

import { SHELL, UI_ASSETS, type UiAsset } from "./assets.ts";

/**
 * The Content-Security-Policy of the UI: scripts, styles, images and API calls from this
 * server only; nothing may frame the page, forms post nowhere else, and `<base>` is refused.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Paths of the pages (the shell), besides `/`. */
const PAGE_PATH = /^\/(?:jobs|runs)\/[^/]+$/;

/** Prefix of the UI's files. */
const ASSET_PREFIX = "/ui/";

/** A short hash of a file for its ETag (FNV-1a, 32 bits: a cache key, not a security one). */
function etagOf(body: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < body.length; i++) {
    hash ^= body.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `"${(hash >>> 0).toString(36)}-${body.length.toString(36)}"`;
}

const etags = new Map<UiAsset, string>();

/** The answer with `asset`, or a 304 when the browser has this version. */
function answer(asset: UiAsset, request: Request): Response {
  let etag = etags.get(asset);
  if (etag === undefined) etags.set(asset, etag = etagOf(asset.body));
  const headers = new Headers({
    "content-type": asset.type,
    "content-security-policy": UI_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
    etag,
  });
  const cached = request.headers.get("if-none-match");
  if (cached !== null && cached.split(",").some((tag) => tag.trim() === etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(request.method === "HEAD" ? null : asset.body, { headers });
}

/** The shell page, for `/` (a declared route of the API). */
export function uiPage(request: Request): Response {
  return answer(SHELL, request);
}

/**
 * The answer to a GET (or HEAD) of a UI page other than `/` or of a UI file; null when the
 * request is not one (the API answers it).
 */
export function uiResponse(request: Request): Response | null {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const path = new URL(request.url).pathname;
  if (PAGE_PATH.test(path)) return answer(SHELL, request);
  if (!path.startsWith(ASSET_PREFIX)) return null;
  const asset = UI_ASSETS.get(path.slice(ASSET_PREFIX.length));
  return asset ? answer(asset, request) : null;
}
