/**
 * A small client of Petit's HTTP API for the CLI's `--remote` commands. Sends
 * `Authorization: Bearer $PETIT_API_TOKEN` when that variable is set, and for an `https://`
 * API trusts the CA certificate in `$PETIT_CA_CERT` (or `--ca-cert`) besides the system's.
 * Needs `--allow-net`, `--allow-env`, and `--allow-read` for a CA file.
 *
 * @module
 */

import type {
  ErrorBody,
  HealthView,
  JobDetailView,
  JobListView,
  RunDetailView,
  RunListView,
  SchedulerStateView,
  StartedRunView,
  TaskLogsView,
} from "../core/views.ts";
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from "./deps.ts";

/**
 * Milliseconds one request may take, unless {@link ApiClientOptions.timeoutMs} says
 * otherwise.
 *
 * @default {10_000}
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The variable that sets the clients' per-request timeout, in seconds (a slow board, a far API). */
const TIMEOUT_ENV = "PETIT_API_TIMEOUT";

/** `PETIT_API_TIMEOUT` in ms; the default when unset. A value that is not a positive number is an
 * {@link ApiUrlError}: the request could not be set up as asked. */
function timeoutFromEnv(): number {
  const text = Deno.env.get(TIMEOUT_ENV)?.trim();
  if (!text) return DEFAULT_TIMEOUT_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ApiUrlError(`${TIMEOUT_ENV} must be a number of seconds > 0, got "${text}"`);
  }
  return Math.round(seconds * 1000);
}

/** The URL of an API served with the default address and port, as an example in messages. */
const EXAMPLE_URL = `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`;

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

/** The base URL given is not an http(s) URL, or a client setting (`PETIT_API_TIMEOUT`) is not usable. */
export class ApiUrlError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "ApiUrlError";
  }
}

/** Kinds of {@link ApiTlsError}. */
export type ApiTlsErrorCode =
  /** The CA certificate file is missing, unreadable or not PEM. */
  | "ca_cert"
  /** The server's certificate was refused: unknown CA, wrong host name, expired… */
  | "untrusted";

/** An HTTPS problem: the CA file given cannot be used, or the server is not trusted. */
export class ApiTlsError extends Error {
  /** What went wrong. */
  readonly code: ApiTlsErrorCode;

  /** Builds the error; `message` is shown to the user as is. */
  constructor(code: ApiTlsErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ApiTlsError";
    this.code = code;
  }
}

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Bearer token; default `PETIT_API_TOKEN` from the environment. */
  token?: string | null;
  /**
   * Per-request timeout in ms; default `PETIT_API_TIMEOUT` (seconds) from the environment,
   * else {@link DEFAULT_TIMEOUT_MS}.
   */
  timeoutMs?: number;
  /**
   * A PEM file of CA certificates to trust, besides the system's, for an `https://` API
   * whose certificate is self-signed or from a private CA; default `PETIT_CA_CERT` from the
   * environment, null for none.
   */
  caCertFile?: string | null;
}

/** Calls a Petit API at a base URL such as `http://127.0.0.1:8565`. */
export class ApiClient {
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly #token: string | null;
  readonly #timeoutMs: number;
  /** Trusts the CA file's certificates; null without one (fetch's default client). */
  readonly #http: Deno.HttpClient | null;

  /**
   * Throws {@link ApiUrlError} when `baseUrl` is not an http(s) URL, {@link ApiTlsError}
   * when the CA file cannot be used. Call {@link close} when done.
   */
  constructor(baseUrl: string, options: ApiClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new ApiUrlError(`not a URL: "${baseUrl}" (expected e.g. ${EXAMPLE_URL})`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ApiUrlError(`not an http(s) URL: "${baseUrl}"`);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#token = options.token !== undefined
      ? options.token
      : Deno.env.get("PETIT_API_TOKEN") || null;
    this.#timeoutMs = options.timeoutMs ?? timeoutFromEnv();
    const caFile = options.caCertFile !== undefined
      ? options.caCertFile
      : Deno.env.get("PETIT_CA_CERT") || null;
    this.#http = caFile === null ? null : trustingClient(caFile);
  }

  /** Releases the connections kept for the CA file; the client is unusable afterwards. */
  close(): void {
    this.#http?.close();
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
        ...(this.#http ? { client: this.#http } : {}),
      });
    } catch (err) {
      throw this.#unreachable(err);
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

  /** The error for a failed fetch, with what to do when the cause is TLS. */
  #unreachable(err: unknown): Error {
    const reason = innermostMessage(err);
    const tls = /invalid peer certificate: (.*)$/.exec(reason);
    if (tls) {
      const kind = tls[1];
      const fix = /UnknownIssuer/.test(kind)
        ? ": pass --ca-cert FILE (or set PETIT_CA_CERT) with the CA that signed it"
        : /CaUsedAsEndEntity/.test(kind)
        ? ": it is a CA certificate, which cannot be a server's; sign a server certificate " +
          "with that CA, or make the self-signed one with " +
          "-addext basicConstraints=critical,CA:FALSE"
        : "";
      return new ApiTlsError(
        "untrusted",
        `the Petit API at ${this.baseUrl} presented a certificate this client does not trust ` +
          `(${kind})${fix}`,
        { cause: err },
      );
    }
    // A TLS server answers plain HTTP with bytes no HTTP parser accepts, and the other way
    // round: say which scheme to try.
    const https = this.baseUrl.startsWith("https:");
    const hint = !https && /invalid HTTP version/.test(reason)
      ? " (the server may be serving HTTPS: try an https:// URL)"
      : https && /InvalidContentType|corrupt message/.test(reason)
      ? " (the server may be serving plain HTTP: try an http:// URL)"
      : "";
    return new ApiUnreachableError(
      `cannot reach the Petit API at ${this.baseUrl}: ${reason}${hint}`,
      { cause: err },
    );
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
  jobs(): Promise<JobListView> {
    return this.request("GET", "/api/jobs");
  }

  /** `GET /api/jobs/{id}`. */
  job(id: string): Promise<JobDetailView> {
    return this.request("GET", `/api/jobs/${encodeURIComponent(id)}`);
  }

  /** `POST /api/jobs/{id}/trigger`, with values of the job's params when given. */
  trigger(
    id: string,
    force = false,
    params?: Readonly<Record<string, string>>,
  ): Promise<StartedRunView> {
    const body = params && Object.keys(params).length > 0 ? { force, params } : { force };
    return this.request("POST", `/api/jobs/${encodeURIComponent(id)}/trigger`, body);
  }

  /** `GET /api/runs/{id}`: the run with its tasks. */
  run(id: string): Promise<RunDetailView> {
    return this.request("GET", `/api/runs/${encodeURIComponent(id)}`);
  }

  /** `GET /api/runs?status=&job_id=&limit=`. */
  runs(
    query: { job_id?: string; status?: string; limit?: number } = {},
  ): Promise<RunListView> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size ? `?${params}` : "";
    return this.request("GET", `/api/runs${qs}`);
  }

  /** `GET /api/jobs/{id}/runs?limit=&status=`: runs of one job, newest first. */
  jobRuns(id: string, query: { status?: string; limit?: number } = {}): Promise<RunListView> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.size ? `?${params}` : "";
    return this.request("GET", `/api/jobs/${encodeURIComponent(id)}/runs${qs}`);
  }

  /** `POST /api/scheduler/pause`: the new state. */
  pause(): Promise<SchedulerStateView> {
    return this.request("POST", "/api/scheduler/pause");
  }

  /** `POST /api/scheduler/resume`: the new state. */
  resume(): Promise<SchedulerStateView> {
    return this.request("POST", "/api/scheduler/resume");
  }

  /** `GET /api/runs/{id}/tasks/{task}/logs?format=json`: one attempt (default the last). */
  taskLogs(runId: string, taskId: string, attempt?: number): Promise<TaskLogsView> {
    const query = new URLSearchParams({ format: "json" });
    if (attempt !== undefined) query.set("attempt", String(attempt));
    return this.request("GET", logsPath(runId, taskId, query));
  }

  /**
   * `GET /api/events` as a stream: the response, whose body the caller reads (see
   * `tui/sse.ts`) until `signal` aborts it. `lastEventId` replays the stored events after
   * it first (`Last-Event-ID`).
   */
  events(lastEventId: number | null, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (lastEventId !== null) headers["Last-Event-ID"] = String(lastEventId);
    return this.stream("/api/events", signal, headers);
  }

  /**
   * `GET /api/runs/{id}/tasks/{task}/logs?follow=true` as a stream of `line` events, then
   * `end`. A server without the follow stream answers 400 (unknown parameter), or a
   * response that is not `text/event-stream`: the caller checks the content type.
   */
  followTaskLogs(runId: string, taskId: string, signal: AbortSignal): Promise<Response> {
    return this.stream(logsPath(runId, taskId, new URLSearchParams({ follow: "true" })), signal);
  }

  /**
   * `GET path` asking for `text/event-stream`: the response once its headers arrived
   * (within the timeout), its body unread. The body is not timed: `signal` ends it. Errors
   * throw as for {@link request}.
   */
  async stream(
    path: string,
    signal: AbortSignal,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "text/event-stream", ...extraHeaders };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    const timer = setTimeout(
      () => abort.abort(new DOMException("timed out", "TimeoutError")),
      this.#timeoutMs,
    );
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        headers,
        signal: abort.signal,
        ...(this.#http ? { client: this.#http } : {}),
      });
    } catch (err) {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) throw err;
      throw this.#unreachable(err);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      signal.removeEventListener("abort", onAbort);
      const text = await res.text().catch(() => "");
      let e: Partial<ErrorBody> | null = null;
      try {
        e = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: reported with the status.
      }
      const message = typeof e?.error === "string"
        ? e.error
        : `HTTP ${res.status} ${res.statusText}`.trim();
      throw new ApiRequestError(res.status, typeof e?.code === "string" ? e.code : null, message);
    }
    return res;
  }
}

/**
 * The path of a task's logs: `GET /api/runs/{id}/tasks/{task}/logs` with `query` (no `?`
 * when empty).
 */
function logsPath(runId: string, taskId: string, query: URLSearchParams): string {
  const qs = query.size ? `?${query}` : "";
  return `/api/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskId)}/logs${qs}`;
}

/** A fetch client that trusts the CA file too; throws {@link ApiTlsError} when it cannot. */
function trustingClient(path: string): Deno.HttpClient {
  const pem = readCa(path);
  try {
    return Deno.createHttpClient({ caCerts: [pem] });
  } catch (err) {
    // A -----BEGIN CERTIFICATE----- block whose content is not a certificate.
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiTlsError(
      "ca_cert",
      `the CA certificate ${path} (--ca-cert or PETIT_CA_CERT) is not usable: ${reason}`,
      { cause: err },
    );
  }
}

/** The CA file's text; throws {@link ApiTlsError} when it cannot be used. */
function readCa(path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err;
    const reason = err instanceof Deno.errors.NotFound
      ? "file not found"
      : err instanceof Error
      ? err.message
      : String(err);
    throw new ApiTlsError(
      "ca_cert",
      `cannot read the CA certificate ${path} (--ca-cert or PETIT_CA_CERT): ${reason}`,
      { cause: err },
    );
  }
  // Deno.createHttpClient skips text that holds no certificate without a word.
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ApiTlsError(
      "ca_cert",
      `the CA certificate ${path} (--ca-cert or PETIT_CA_CERT) is not PEM ` +
        "(expected a -----BEGIN CERTIFICATE----- block)",
    );
  }
  return text;
}

/**
 * The message at the end of an error's `cause` chain: Deno's fetch throws "fetch failed"
 * with the reason (refused, DNS, TLS) in its cause.
 */
function innermostMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  let cause = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; cause instanceof Error && depth < 8; depth++) {
    message = cause.message;
    cause = cause.cause;
  }
  return message;
}

/**
 * The `pt` exit code for a failed remote call: 2 when the call itself is wrong (bad URL,
 * bad input, missing or wrong token, unknown job or run, an unusable CA file or a server
 * certificate not trusted), 1 otherwise (server unreachable, refused with 409/429, server
 * error).
 */
export function remoteExitCode(err: unknown): 1 | 2 {
  if (err instanceof ApiUrlError || err instanceof ApiTlsError) return 2;
  if (err instanceof ApiRequestError) {
    return err.status === 400 || err.status === 401 || err.status === 404 ? 2 : 1;
  }
  return 1;
}
