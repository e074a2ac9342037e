/**
 * One POST of a notification: `fetch` with a time limit that covers the answer's body too,
 * no redirects followed, and any status outside 2xx an error that quotes the start of the
 * answer. Needs --allow-net.
 *
 * @module
 */

import { formatDuration } from "../schedule/duration.ts";
import { VERSION } from "../version.ts";

/**
 * How much of an error answer's body an error message quotes.
 *
 * @default {200}
 */
const QUOTED_BODY_CHARS = 200;

/** Limits of one delivery attempt. */
export interface AttemptLimits {
  /** Limit of the whole attempt, in milliseconds. */
  readonly timeoutMs: number;
  /** Aborts the attempt (Petit is exiting); the attempt rejects with its reason. */
  readonly signal: AbortSignal;
}

/**
 * POSTs `body` to `url`. Resolves when the server answered 2xx; rejects with an Error that
 * says why otherwise. Redirects are not followed: a POST that turns into a GET elsewhere is
 * not a delivery, so a 3xx is an error that says to use the final URL. A URL's user and
 * password are sent as Basic authentication (fetch does that).
 */
export async function post(
  url: string,
  request: { headers: Record<string, string>; body: string },
  limits: AttemptLimits,
): Promise<void> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), limits.timeoutMs);
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: { "user-agent": `petit/${VERSION}`, ...request.headers },
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.any([limits.signal, timeout.signal]),
    });
    const text = await answer.text();
    if (answer.ok) return;
    const quoted = text.trim().slice(0, QUOTED_BODY_CHARS);
    const redirect = answer.status >= 300 && answer.status < 400
      ? " (redirects are not followed: use the final URL)"
      : "";
    throw new Error(
      `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}${redirect}` +
        (quoted ? `: ${quoted}` : ""),
    );
  } catch (err) {
    if (limits.signal.aborted) throw limits.signal.reason;
    if (timeout.signal.aborted) {
      throw new Error(`no answer within ${formatDuration(limits.timeoutMs)}`);
    }
    throw err instanceof Error && err.message.startsWith("HTTP ") ? err : new Error(describe(err));
  } finally {
    clearTimeout(timer);
  }
}

/** A fetch failure in one line: its message and its cause's (where the reason is). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}
