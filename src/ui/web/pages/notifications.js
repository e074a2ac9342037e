/**
 * The run page's "Notifications" list: one line per `notification_sent` /
 * `notification_failed` event of the run (channel, target, sent or failed, the error and
 * whether it is retried).
 *
 * Only the events that arrive while the page is open are listed. The API has no way to ask
 * for one run's stored events: `/api/events?last_event_id=0` replays every stored event of
 * every job, which is too much to read for each run page. The section stays hidden until the
 * first one arrives.
 *
 * @module
 */

import { badge, h } from "../dom.js";
import { iso, took, when } from "../format.js";

/** What happens after a failed attempt. */
function next(event) {
  return event.retry_in_ms === null ? "gave up" : `retry in ${took(event.retry_in_ms)}`;
}

/** One notification event as a list item. */
function item(event) {
  const sent = event.type === "notification_sent";
  return h(
    "li",
    { "data-channel": event.channel },
    sent ? badge("completed", "sent") : badge("failed", "failed"),
    " ",
    h("span", { class: "channel" }, event.channel),
    " ",
    h("code", { class: "wrap" }, event.target),
    h(
      "span",
      { class: "muted small", title: iso(event.at) },
      ` attempt ${event.attempt}, ${when(event.at)}`,
      sent ? null : `, ${next(event)}`,
    ),
    sent ? null : h("div", { class: "bad wrap small" }, event.error),
  );
}

/** The section (hidden while empty) and `add(event)` to list a notification event. */
export function notificationList() {
  const list = h("ul", { class: "notifications" });
  const element = h("section", { hidden: true }, h("h2", {}, "Notifications"), list);
  return {
    element,
    add(event) {
      list.append(item(event));
      element.hidden = false;
    },
  };
}
