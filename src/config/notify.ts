/**
 * Builds the model of notification entries ({@link NotifySpec}) from what a job file's
 * `notify:` or the config file's `[[notify.default]]` says, shape-checked by
 * `NotifyEntrySchema`: defaults filled in, the timeout in milliseconds. No I/O.
 *
 * @module
 */

import {
  DEFAULT_NOTIFY_ON,
  DEFAULT_NOTIFY_TIMEOUT_MS,
  type NotifySpec,
  type NotifyTarget,
} from "../core/notify.ts";
import { parseDuration } from "../schedule/duration.ts";
import type { NotifyEntryFile } from "./schema.ts";

/** The notification an entry describes (exactly one channel: the schema checked it). */
export function buildNotify(entry: NotifyEntryFile): NotifySpec {
  const target: NotifyTarget = entry.webhook !== undefined
    ? { channel: "webhook", url: entry.webhook }
    : entry.ntfy !== undefined
    ? { channel: "ntfy", url: entry.ntfy }
    : { channel: "command", argv: [...entry.command!] };
  return {
    on: entry.on ? [...new Set(entry.on)] : DEFAULT_NOTIFY_ON,
    target,
    timeoutMs: entry.timeout !== undefined
      ? parseDuration(entry.timeout)
      : DEFAULT_NOTIFY_TIMEOUT_MS,
  };
}
