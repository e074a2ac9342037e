/**
 * Serving the API on a socket, over HTTP or, given a certificate and key, HTTPS: `pt run`
 * calls {@link loadTls} and {@link checkExposure} before anything else, then
 * {@link startApi}. Prints nothing; the caller prints the returned URL. Needs `--allow-net`,
 * and `--allow-read` for the TLS files.
 *
 * @module
 */

import type { Engine } from "../scheduler/engine.ts";
import type { Scheduler } from "../scheduler/scheduler.ts";
import { isHostName, isLoopbackHost } from "./hosts.ts";
import { Metrics } from "./metrics.ts";

export { isLoopbackHost } from "./hosts.ts";

/** What the server needs of the app: `createApp`'s Hono app answers requests. */
interface AppFetch {
  fetch(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response | Promise<Response>;
}

/** Longest close() waits for responses in progress. */
const CLOSE_WAIT_MS = 5000;

const noop = () => {};

/** The API could not start: refused address, port in use, unknown host. */
export class ApiStartError extends Error {
  /** Builds the error; `message` is shown to the user as is. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ApiStartError";
  }
}

/** A certificate chain and its private key, PEM text, as `Deno.serve` takes them. */
export interface TlsPair {
  /** The server's certificate, then any intermediates. */
  readonly cert: string;
  /** The unencrypted private key of the first certificate. */
  readonly key: string;
}

/** Options of {@link startApi}. */
export interface ApiOptions {
  /** The scheduler the routes read and act on. */
  readonly scheduler: Scheduler;
  /** Default: the scheduler's own engine, once it has started. */
  readonly engine?: Engine | null;
  /** Host name or address; IPv6 with or without brackets. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Bearer token every route but `/api/health` requires; null for none. */
  readonly token: string | null;
  /** Allow a non-loopback host without a token. */
  readonly insecure: boolean;
  /** The one browser origin allowed by CORS, or null. */
  readonly cors: string | null;
  /**
   * Names clients may use for the server in `Host`, besides loopback names and addresses
   * (`--api-allowed-host`). Default none; with a token on a non-loopback address and no
   * names, any `Host` is accepted.
   */
  readonly allowedHosts?: readonly string[];
  /** Largest request body in bytes (default 64 KiB). */
  readonly maxBodyBytes?: number;
  /** Serve HTTPS with this certificate and key (from {@link loadTls}); default plain HTTP. */
  readonly tls?: TlsPair | null;
}

/** A running API server. */
export interface ApiServer {
  /** `http://HOST:PORT` (`https://` with TLS), IPv6 hosts in brackets. */
  readonly url: string;
  /** The port listened on (the chosen one when 0 was asked). */
  readonly port: number;
  /** Ends open event streams and stops the server; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Throws {@link ApiStartError} when the API must not listen on `host`: a non-loopback
 * address needs a token, unless `insecure`. `pt run` checks this before anything else.
 */
export function checkExposure(host: string, token: string | null, insecure: boolean): void {
  const bare = host.trim().replace(/^\[(.*)\]$/, "$1");
  const shown = bare.includes(":") ? `[${bare}]` : bare;
  if (!isLoopbackHost(bare) && !token && !insecure) {
    throw new ApiStartError(
      `refusing to serve the API on ${shown}, which is reachable from other machines, ` +
        "without a token: set PETIT_API_TOKEN (or [api] token), use a loopback address " +
        "such as 127.0.0.1, or pass --api-insecure",
    );
  }
}

/** Where {@link loadTls} reads the certificate and the key; each may be unset. */
export interface TlsPaths {
  /** PEM file of the server's certificate, then any intermediates. */
  readonly cert?: string;
  /** PEM file of the certificate's private key, unencrypted. */
  readonly key?: string;
}

// Where each path can be set, for messages that say how to fix a missing one.
const TLS_CERT_SETTING = "--api-tls-cert FILE (or PETIT_API_TLS_CERT, [api] tls_cert)";
const TLS_KEY_SETTING = "--api-tls-key FILE (or PETIT_API_TLS_KEY, [api] tls_key)";

/**
 * Reads and checks the TLS certificate and key: null when neither path is set, else the
 * pair. Throws {@link ApiStartError}, naming the path, when only one is set, a file cannot
 * be read, is not PEM, or the key does not belong to the certificate; `pt run` calls it
 * before opening the database, so a wrong file stops nothing that had started.
 */
export async function loadTls(paths: TlsPaths): Promise<TlsPair | null> {
  const { cert: certPath, key: keyPath } = paths;
  if (certPath === undefined && keyPath === undefined) return null;
  if (keyPath === undefined) {
    throw new ApiStartError(
      `the TLS certificate ${certPath} has no key: HTTPS needs both, set ${TLS_KEY_SETTING}`,
    );
  }
  if (certPath === undefined) {
    throw new ApiStartError(
      `the TLS key ${keyPath} has no certificate: HTTPS needs both, set ${TLS_CERT_SETTING}`,
    );
  }
  const cert = await readPem(certPath, "certificate");
  const key = await readPem(keyPath, "key");
  if (!cert.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ApiStartError(
      `the TLS certificate ${certPath} is not a PEM certificate ` +
        "(expected a -----BEGIN CERTIFICATE----- block)",
    );
  }
  if (key.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
    throw new ApiStartError(
      `the TLS key ${keyPath} is encrypted: give it unencrypted ` +
        `(openssl pkey -in ${keyPath} -out plain.pem), readable only by the user pt runs as`,
    );
  }
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(key)) {
    throw new ApiStartError(
      `the TLS key ${keyPath} is not a PEM private key ` +
        "(expected a -----BEGIN PRIVATE KEY----- block)",
    );
  }
  // Deno checks a pair only when it uses it. A client identity goes through the same
  // parsing (rustls) as Deno.serve, including whether the key matches the certificate, and
  // opens no socket. Cost: about 1.5 ms the first time in a process, 0.3 ms after (P-256
  // pair, Deno 2.9.6, measured with a loop of createHttpClient + close).
  try {
    Deno.createHttpClient({ cert, key }).close();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    const why = /KeyMismatch/.test(reason)
      ? "the key does not belong to the certificate"
      : reason.replace(/^invalid peer certificate: /, "invalid certificate: ");
    throw new ApiStartError(
      `cannot use the TLS certificate ${certPath} with the key ${keyPath}: ${why}`,
      { cause: err },
    );
  }
  return { cert, key };
}

async function readPem(path: string, what: "certificate" | "key"): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err;
    if (err instanceof Deno.errors.NotFound) {
      throw new ApiStartError(`TLS ${what} not found: ${path}`, { cause: err });
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiStartError(`cannot read the TLS ${what} ${path}: ${reason}`, { cause: err });
  }
}

/**
 * The names the API accepts in `Host` besides loopback names and addresses, or null for any:
 * a server with a token on an address other machines reach is known by whatever names they
 * use, and the token guards it, so the check applies there only when names are given.
 * Throws {@link ApiStartError} for a name that is not a host name.
 */
function hostNames(
  host: string,
  token: string | null,
  allowed: readonly string[],
): string[] | null {
  for (const name of allowed) {
    if (!isHostName(name)) {
      throw new ApiStartError(
        `allowed host ${JSON.stringify(name)} is not a host name: give the name alone, ` +
          "without scheme or port (such as pi.local)",
      );
    }
  }
  if (token !== null && !isLoopbackHost(host) && allowed.length === 0) return null;
  return [host, ...allowed];
}

/** Starts the API. Throws {@link ApiStartError} when it cannot or must not listen. */
export async function startApi(options: ApiOptions): Promise<ApiServer> {
  checkExposure(options.host, options.token, options.insecure);
  const host = options.host.trim().replace(/^\[(.*)\]$/, "$1");
  const shown = host.includes(":") ? `[${host}]` : host;
  const allowedHosts = hostNames(host, options.token, options.allowedHosts ?? []);
  // Counting from the start, whether or not anyone asks for the metrics.
  const metrics = new Metrics(options.scheduler, options.engine);
  const closing = new AbortController();
  // The routes (Hono, zod validators, the OpenAPI table, the web UI) load on the first
  // request: a scheduler nobody asks anything keeps them out of its heap (~10 MiB of RSS,
  // bench/README.md, issue 11). The first request waits ~0.1 s more for them.
  let app: Promise<AppFetch> | null = null;
  const loadApp = () =>
    app ??= import("./app.ts").then(({ createApp }) =>
      createApp({
        scheduler: options.scheduler,
        engine: options.engine,
        token: options.token,
        cors: options.cors,
        allowedHosts,
        maxBodyBytes: options.maxBodyBytes,
        metrics,
        closing: closing.signal,
      })
    );
  // Responses not yet delivered, so close() can let them finish before stopping the server.
  const inFlight = new Set<Promise<void>>();
  const handler = async (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    const delivered: Promise<void> = info.completed.then(noop, noop).then(() => {
      inFlight.delete(delivered);
    });
    inFlight.add(delivered);
    return await (await loadApp()).fetch(req, info);
  };
  const shutdown = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port: options.port,
      signal: shutdown.signal,
      onListen() {}, // silent: `pt run` prints the URL itself
      ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
    }, handler);
  } catch (err) {
    metrics.close();
    if (err instanceof Deno.errors.NotCapable) throw err;
    const where = `${shown}:${options.port}`;
    if (err instanceof Deno.errors.AddrInUse) {
      throw new ApiStartError(`address in use: ${where}`, { cause: err });
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiStartError(`cannot listen on ${where}: ${reason}`, { cause: err });
  }
  const port = server.addr.port;
  let closed: Promise<void> | null = null;
  // Resolving `localhost` may take a moment; make sure the socket is really up first.
  await Promise.resolve();
  return {
    url: `${options.tls ? "https" : "http"}://${shown}:${port}`,
    port,
    close() {
      closed ??= (async () => {
        // Event streams never end by themselves: end them, let every response be delivered,
        // then stop the server (which would otherwise cut the streams off mid-chunk).
        closing.abort();
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.all(inFlight),
          new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
        ]);
        clearTimeout(timer);
        metrics.close();
        shutdown.abort();
        await server.finished;
      })();
      return closed;
    },
  };
}
