/**
 * Notifications in the model: which run outcomes a job notifies about (`on:`), through which
 * channel (a webhook, an ntfy topic, a local command), and the defaults of an entry. Pure
 * data, no I/O: `src/notify/` delivers them, the loader and the settings build them.
 *
 * @module
 */

/** The run outcomes a notification entry can ask for, in `on:`. */
export const NOTIFY_ON = ["failure", "success", "cancelled", "skipped"] as const;

/** A run outcome a notification entry can ask for. */
export type NotifyOn = (typeof NOTIFY_ON)[number];

/** How a notification is delivered: one key of a `notify:` entry each. */
export const NOTIFY_CHANNELS = ["webhook", "ntfy", "command"] as const;

/** How a notification is delivered. */
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/**
 * The outcomes an entry without `on:` notifies about.
 *
 * @default {["failure"]}
 */
export const DEFAULT_NOTIFY_ON: readonly NotifyOn[] = Object.freeze(["failure"]);

/**
 * How long one delivery attempt may take (an HTTP request with its answer, or a command),
 * when the entry sets no `timeout`.
 *
 * @default {10_000}
 */
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;

/** Where a notification goes. */
export type NotifyTarget =
  /** A POST of the run as JSON. */
  | { readonly channel: "webhook"; readonly url: string }
  /** A POST of a short text to an ntfy topic URL, with Title, Priority and Tags headers. */
  | { readonly channel: "ntfy"; readonly url: string }
  /** A program run locally (no shell): `argv[0]` looked up in `PATH`, then its arguments. */
  | { readonly channel: "command"; readonly argv: readonly string[] };

/** One notification entry of a job (or of the config file's defaults). */
export interface NotifySpec {
  /** The run outcomes it is sent for. */
  readonly on: readonly NotifyOn[];
  /** Where it goes. */
  readonly target: NotifyTarget;
  /** Limit of one delivery attempt, in milliseconds. */
  readonly timeoutMs: number;
}
