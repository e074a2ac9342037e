/**
 * Notifications when a run ends: a webhook (the run as JSON), an ntfy topic (a short text
 * with a title, a priority and tags) or a local command (the run in its environment), as a
 * job's `notify:` or the config file's `[[notify.default]]` asks. The scheduler subscribes a
 * {@link Notifier} to its bus; deliveries never hold up a run, are retried with backoff and
 * publish `notification_sent` / `notification_failed` events with secrets masked.
 *
 * - `notifier.ts`: the bus subscriber, retries, draining at exit
 * - `payload.ts`: the JSON payload and the text of a notification; `payload_schema.ts`: the
 *   payload's zod schema (not re-exported here: importing it loads zod)
 * - `webhook.ts`, `ntfy.ts`, `command.ts`: the channels (`http_post.ts` is their POST)
 * - `redact.ts`: targets and error messages without secrets
 *
 * Needs --allow-net (webhook, ntfy) and --allow-run (command).
 *
 * @module
 */

export {
  DEFAULT_NOTIFY_WAIT_MS,
  Notifier,
  type NotifierOptions,
  NOTIFY_ATTEMPTS,
  NOTIFY_RETRY_DELAYS_MS,
  type NotifySettings,
  type RunSource,
} from "./notifier.ts";
export {
  buildPayload,
  endStatus,
  type NotificationPayload,
  type NotificationText,
  notificationText,
  notifyOutcome,
  type RunEndEvent,
  type RunFacts,
  type TaskFacts,
} from "./payload.ts";
export { COMMAND_KILL_GRACE_MS, commandEnv } from "./command.ts";
export { type DescribedTarget, describeTarget, MASK, maskSecrets, redactUrl } from "./redact.ts";
