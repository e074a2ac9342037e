/**
 * Schedules in words for the common patterns (`*\/5 * * * *` is "every 5 minutes"); null for
 * anything else, which the page then shows only as written. Covers shortcuts, `@every`, and
 * cron with a fixed or stepped minute and hour on every day, on days of the week, or on days
 * of the month. Pure functions.
 *
 * @module
 */

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_NUMBERS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const UNITS = { d: "day", h: "hour", m: "minute", s: "second" };

const SHORTCUTS = {
  "@yearly": "every year on 1 January at 00:00",
  "@annually": "every year on 1 January at 00:00",
  "@monthly": "every month on the 1st at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@hourly": "every hour",
};

const pad = (n) => String(n).padStart(2, "0");
const plural = (n, unit) => (n === 1 ? `1 ${unit}` : `${n} ${unit}s`);
const list = (items) =>
  items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
const number = (text, max) => /^\d+$/.test(text) && Number(text) <= max ? Number(text) : null;
const step = (text) => /^\*\/(\d+)$/.exec(text)?.[1] ?? null;

/** A day-of-week field as numbers 0–6 (7 is Sunday too), or null unless plain lists and ranges. */
function weekdays(field) {
  const out = new Set();
  for (const part of field.toLowerCase().split(",")) {
    const ends = part.split("-").map((x) => DAY_NUMBERS[x] ?? number(x, 7));
    if (ends.length > 2 || ends.includes(null)) return null;
    const [from, to = from] = ends;
    if (to < from) return null;
    for (let d = from; d <= to; d++) out.add(d % 7);
  }
  return [...out].sort((a, b) => a - b);
}

/** "every day", "on weekdays", "on Monday and Friday", "on day 1 of the month"; or null. */
function dayPhrase(dom, dow) {
  if (dom === "*" && dow === "*") return "every day";
  if (dom === "*") {
    const days = weekdays(dow);
    if (days === null) return null;
    const key = days.join();
    if (key === "1,2,3,4,5") return "on weekdays";
    if (key === "0,6") return "on weekends";
    if (days.length === 7) return "every day";
    return `on ${list(days.map((d) => DAYS[d]))}`;
  }
  if (dow === "*") {
    const days = dom.split(",").map((x) => number(x, 31));
    if (days.some((d) => d === null || d === 0)) return null;
    return `on ${days.length === 1 ? "day" : "days"} ${list(days.map(String))} of the month`;
  }
  return null; // both restricted: Vixie cron's "either" rule, better read as written
}

/** `phrase` on the days: "every 5 minutes" + "on weekdays". */
const onDays = (phrase, days) => (days === "every day" ? phrase : `${phrase} ${days}`);

/** Cron fields minute … day-of-week in words, or null. */
function cronWords([min, hour, dom, mon, dow]) {
  if (mon !== "*") return null;
  const days = dayPhrase(dom, dow);
  if (days === null) return null;
  const minute = number(min, 59);
  if (hour === "*") {
    if (min === "*") return onDays("every minute", days);
    const every = step(min);
    if (every !== null) return onDays(`every ${plural(Number(every), "minute")}`, days);
    if (minute === null) return null;
    return onDays(minute === 0 ? "every hour" : `every hour at minute ${minute}`, days);
  }
  if (minute === null) return null;
  const hours = step(hour);
  if (hours !== null) {
    const at = minute === 0 ? "" : ` at minute ${minute}`;
    return onDays(`every ${plural(Number(hours), "hour")}${at}`, days);
  }
  const times = hour.split(",").map((x) => number(x, 23));
  if (times.some((x) => x === null)) return null;
  const at = `at ${list(times.map((x) => `${pad(x)}:${pad(minute)}`))}`;
  return days === "every day" ? `every day ${at}` : `${at} ${days}`;
}

/**
 * A schedule expression in words, or null when it is not one of the common patterns.
 *
 * @param {string} expression as written in the job file
 * @returns {string | null}
 */
export function describeSchedule(expression) {
  const text = String(expression ?? "").trim();
  const shortcut = SHORTCUTS[text.toLowerCase()];
  if (shortcut) return shortcut;
  const every = /^@every\s+((?:\d+[dhms])+)$/i.exec(text);
  if (every) {
    const parts = [...every[1].matchAll(/(\d+)([dhms])/gi)];
    return `every ${parts.map(([, n, u]) => plural(Number(n), UNITS[u.toLowerCase()])).join(" ")}`;
  }
  let fields = text.split(/\s+/);
  if (fields.length === 6) {
    const [sec, ...rest] = fields;
    if (rest.every((f) => f === "*")) {
      if (sec === "*") return "every second";
      const secs = step(sec);
      return secs === null ? null : `every ${plural(Number(secs), "second")}`;
    }
    if (sec !== "0") return null;
    fields = rest;
  }
  return fields.length === 5 ? cronWords(fields) : null;
}
