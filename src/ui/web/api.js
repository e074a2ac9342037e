/**
 * The API client of the page: JSON requests with the token, which the page asks for once (a
 * password form, see `token_form.js`) and keeps for the tab in sessionStorage. A 401 asks
 * again; requests waiting meanwhile share the one form.
 *
 * @module
 */

import { askForToken } from "./token_form.js";

const KEY = "petit-token";
let token = sessionStorage.getItem(KEY) ?? "";
let asking = null;

/** An error answer: `status`, the API's `code` and its message. */
export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === "object" && body?.error ? body.error : `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = typeof body === "object" ? body?.code ?? null : null;
  }
}

/** Shows the token form (once, however many requests wait for it) and keeps the answer. */
function ask(refused) {
  asking ??= askForToken(refused).then((value) => {
    token = value;
    sessionStorage.setItem(KEY, value);
    asking = null;
  });
  return asking;
}

/** `fetch` with the token; on a 401, asks for the token and tries again. */
export async function request(path, init = {}) {
  for (;;) {
    const used = token;
    const headers = { ...init.headers };
    if (used) headers.authorization = `Bearer ${used}`;
    const res = await fetch(path, { ...init, headers });
    if (res.status !== 401) return res;
    await res.body?.cancel();
    // Another request may have got a new token meanwhile: try that one first.
    if (token === used) await ask(used !== "");
  }
}

/** GET or POST returning the JSON answer; an error answer throws {@link ApiError}. */
export async function api(path, init = {}) {
  const res = await request(path, {
    ...init,
    headers: { accept: "application/json", ...init.headers },
  });
  const isJson = (res.headers.get("content-type") ?? "").includes("json");
  const body = isJson ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** POST with an optional JSON body. */
export function post(path, body) {
  const init = { method: "POST" };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  return api(path, init);
}

/** `/api/…` path with escaped segments: `apiPath("jobs", id, "runs")`. */
export function apiPath(...segments) {
  return `/api/${segments.map(encodeURIComponent).join("/")}`;
}
