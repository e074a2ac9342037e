/**
 * Where a notification goes, said without its secrets: the `target` of the notification
 * events (stored, served by the API, shown in the UI and logs) and the masking of error
 * messages, which quote the URL they failed on. Pure: no I/O.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeTarget, maskSecrets } from "./redact.ts";
 *
 * const { target, secrets } = describeTarget({
 *   channel: "webhook",
 *   url: "https://bot:hunter2@hooks.example.com/T0/B1/XXXXXXXXXXXXXXXXXXXX1234?token=abc123",
 * });
 * assert.equal(target, "https://hooks.example.com/T0/B1/***?token=***");
 * assert.equal(maskSecrets("refused: …?token=abc123", secrets), "refused: …?token=***");
 * ```
 *
 * @module
 */

import type { NotifyTarget } from "../core/notify.ts";

/** What stands for a secret in targets and messages. */
export const MASK = "***";

/**
 * A path segment at least this long with a digit in it reads as a token (Slack's and
 * Discord's webhook URLs carry theirs in the path; an unguessable ntfy topic is its password)
 * and is shown as {@link MASK}.
 *
 * @default {16}
 */
export const TOKEN_SEGMENT_LENGTH = 16;

/**
 * Secrets shorter than this are not masked inside messages: a two-letter query value would
 * blot out every word that contains it, and is no secret anyway.
 *
 * @default {4}
 */
const MIN_MASKED_LENGTH = 4;

/** A target as shown, and the secret strings to mask wherever they appear. */
export interface DescribedTarget {
  /** The URL without user, password, query values and fragment, or the command's program. */
  readonly target: string;
  /** Texts that must not appear in events (raw and percent-decoded forms). */
  readonly secrets: readonly string[];
}

/** How a target appears in events and logs, and what to mask in its error messages. */
export function describeTarget(target: NotifyTarget): DescribedTarget {
  if (target.channel === "command") return { target: target.argv[0], secrets: [] };
  return redactUrl(target.url);
}

/** A URL without its secrets, and the secrets it held. */
export function redactUrl(text: string): DescribedTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { target: MASK, secrets: [text] };
  }
  const secrets: string[] = [];
  const keep = (value: string) => {
    if (value === "") return;
    secrets.push(value);
    try {
      secrets.push(decodeURIComponent(value));
    } catch {
      // Not percent-encoded text: the raw form is enough.
    }
  };
  keep(url.username);
  keep(url.password);
  const path = url.pathname.split("/").map((segment) => {
    if (segment.length < TOKEN_SEGMENT_LENGTH || !/\d/.test(segment)) return segment;
    keep(segment);
    return MASK;
  }).join("/");
  const query = url.search === "" ? "" : "?" + url.search.slice(1).split("&").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq < 0) return pair;
    keep(pair.slice(eq + 1));
    return `${pair.slice(0, eq)}=${MASK}`;
  }).join("&");
  keep(url.hash.slice(1));
  return { target: `${url.protocol}//${url.host}${path}${query}`, secrets: unique(secrets) };
}

/** `text` with every secret of `secrets` (the longest first) replaced by {@link MASK}. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  const longestFirst = [...secrets].filter((s) => s.length >= MIN_MASKED_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const secret of longestFirst) out = out.replaceAll(secret, MASK);
  return out;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
