/**
 * A small client of Petit's HTTP API for the CLI's `--remote` commands. Sends
 * `Authorization: Bearer $PETIT_API_TOKEN` when that variable is set.
 *
 * @module
 */

import type { JobView, RunView, TaskRunView } from "../core/views.ts";
import type { ErrorBody } from "./errors.ts";
import type { HealthView } from "./routes/health.ts";
import type { JobDetailView, StartedRunView } from "./routes/jobs.ts";
import type { SchedulerStateView } from "./routes/scheduler.ts";

/** The server answered with an error (`status` ≥ 400). */
export class ApiRequestError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** The API's error code, or null when the body was not `{error, code}`. */
  readonly code: string | null;

  /** Builds the error. */
  constructor(status: number, code: string | null, message: string) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = code;
  }
}

/** The server could not be reached at all (refused, unknown host, timeout). */
export class ApiUnreachableError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ApiUnreachableError";
  }
}

/** The base URL given is not an http(s) URL. */
export class ApiUrlError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "ApiUrlError";
  }
}

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Bearer token; default `PETIT_API_TOKEN` from the environment. */
  token?: string | null;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
}

/** Calls a Petit API at a base URL such as `http://127.0.0.1:8565`. */
export class ApiClient {
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly #token: string | null;
  readonly #timeoutMs: number;

  /** Throws {@link ApiUrlError} when `baseUrl` is not an http(s) URL. */
  constructor(baseUrl: string, options: ApiClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new ApiUrlError(`not a URL: "${baseUrl}" (expected e.g. http://127.0.0.1:8565)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ApiUrlError(`not an http(s) URL: "${baseUrl}"`);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#token = options.token !== undefined
      ? options.token
      : Deno.env.get("PETIT_API_TOKEN") || null;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Sends a request and returns the parsed JSON body; errors throw. */
  async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ApiUnreachableError(
        `cannot reach the Petit API at ${this.baseUrl}: ${reason}`,
        { cause: err },
      );
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: reported below with the status.
    }
    if (!res.ok) {
      const e = parsed as Partial<ErrorBody> | null;
      const message = typeof e?.error === "string"
        ? e.error
        : `HTTP ${res.status} ${res.statusText}`.trim();
      throw new ApiRequestError(res.status, typeof e?.code === "string" ? e.code : null, message);
    }
    if (parsed === null) {
      throw new ApiRequestError(
        res.status,
        null,
        `the server at ${this.baseUrl} did not answer JSON`,
      );
    }
    return parsed as T;
  }

  /** `GET /api/health`. */
  health(): Promise<HealthView> {
    return this.request("GET", "/api/health");
  }

  /** `GET /api/scheduler/state`. */
  state(): Promise<SchedulerStateView> {
    return this.request("GET", "/api/scheduler/state");
  }

  /** `GET /api/jobs`. */
  jobs(): Promise<{ jobs: JobView[]; count: number }> {
    return this.request("GET", "/api/jobs");
  }

  /** `GET /api/jobs/{id}`. */
  job(id: string): Promise<JobDetailView> {
    return this.request("GET", `/api/jobs/${encodeURIComponent(id)}`);
  }

  /** `POST /api/jobs/{id}/trigger`. */
  trigger(id: string, force = false): Promise<StartedRunView> {
    return this.request("POST", `/api/jobs/${encodeURIComponent(id)}/trigger`, { force });
  }

  /** `GET /api/runs/{id}`: the run with its tasks. */
  run(id: string): Promise<RunView & { tasks: TaskRunView[] }> {
    return this.request("GET", `/api/runs/${encodeURIComponent(id)}`);
  }

  /** `GET /api/runs?status=&job_id=&limit=`. */
  runs(
    query: { job_id?: string; status?: string; limit?: number } = {},
  ): Promise<{ runs: RunView[]; count: number }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size ? `?${params}` : "";
    return this.request("GET", `/api/runs${qs}`);
  }
}

/**
 * The `pt` exit code for a failed remote call: 2 when the call itself is wrong (bad URL,
 * bad input, missing or wrong token, unknown job or run), 1 otherwise (server unreachable,
 * refused with 409/429, server error).
 */
export function remoteExitCode(err: unknown): 1 | 2 {
  if (err instanceof ApiUrlError) return 2;
  if (err instanceof ApiRequestError) {
    return err.status === 400 || err.status === 401 || err.status === 404 ? 2 : 1;
  }
  return 1;
}
