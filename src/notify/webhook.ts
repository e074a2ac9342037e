/**
 * The `webhook` channel: a POST of the run as JSON ({@link NotificationPayload}) to the URL.
 * Needs --allow-net.
 *
 * @module
 */

import { type AttemptLimits, post } from "./http_post.ts";
import type { NotificationPayload } from "./payload.ts";

/** POSTs the payload as JSON; rejects with the reason when the server does not take it. */
export async function sendWebhook(
  url: string,
  payload: NotificationPayload,
  limits: AttemptLimits,
): Promise<void> {
  await post(url, {
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  }, limits);
}
