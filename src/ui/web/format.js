/**
 * Times and durations for people, in the browser's time zone. Pure functions.
 *
 * @module
 */

const pad = (n) => String(n).padStart(2, "0");

/** `14:05:09` today, `2026-01-31 14:05` on other days, `–` for null. */
export function when(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return "–";
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (new Date(now).toDateString() === d.toDateString()) return `${time}:${pad(d.getSeconds())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** A duration: `850 ms`, `12.3 s`, `4m 05s`, `1h 02m`; `–` for null. */
export function took(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const secs = Math.round(ms / 1000);
  if (secs < 3600) return `${Math.floor(secs / 60)}m ${pad(secs % 60)}s`;
  return `${Math.floor(secs / 3600)}h ${pad(Math.floor((secs % 3600) / 60))}m`;
}

/** `in 4 min`, `3 h ago`. */
export function relative(ms, now = Date.now()) {
  const diff = ms - now;
  const a = Math.abs(diff);
  let text;
  if (a < 45_000) text = `${Math.round(a / 1000)} s`;
  else if (a < 90 * 60_000) text = `${Math.round(a / 60_000)} min`;
  else if (a < 36 * 3_600_000) text = `${Math.round(a / 3_600_000)} h`;
  else text = `${Math.round(a / 86_400_000)} d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** ISO-8601 in UTC, for `title` attributes. */
export function iso(ms) {
  return ms === null || ms === undefined ? "" : new Date(ms).toISOString();
}
