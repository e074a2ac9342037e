/**
 * The `ntfy` channel: a POST of a short text to a topic URL, with the `Title`, `Priority`
 * and `Tags` headers ntfy reads (https://docs.ntfy.sh/publish/). Authentication goes in the
 * URL: `https://user:pass@ntfy.example/topic` (Basic) or ntfy's `?auth=` parameter. Needs
 * --allow-net.
 *
 * @module
 */

import { type AttemptLimits, post } from "./http_post.ts";
import { type NotificationPayload, notificationText } from "./payload.ts";

/** Publishes the run's text to the topic; rejects with the reason when ntfy refuses it. */
export async function sendNtfy(
  url: string,
  payload: NotificationPayload,
  limits: AttemptLimits,
): Promise<void> {
  const text = notificationText(payload);
  await post(url, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      // Header values are Latin-1: job ids are ASCII, so the title is too.
      "Title": text.title,
      "Priority": text.priority,
      "Tags": text.tags,
    },
    body: text.message,
  }, limits);
}
