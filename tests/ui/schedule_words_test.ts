/**
 * The schedule describer of the web UI (`src/ui/web/schedule_words.js`): words for the
 * common patterns, null for the rest (the page then shows the expression only).
 *
 * @module
 */

import assert from "node:assert/strict";
import { describeSchedule } from "../../src/ui/web/schedule_words.js";

Deno.test("describeSchedule(): common cron patterns in words", () => {
  const cases: [string, string][] = [
    ["* * * * *", "every minute"],
    ["*/5 * * * *", "every 5 minutes"],
    ["*/1 * * * *", "every 1 minute"],
    ["0 * * * *", "every hour"],
    ["15 * * * *", "every hour at minute 15"],
    ["0 */2 * * *", "every 2 hours"],
    ["30 */6 * * *", "every 6 hours at minute 30"],
    ["0 2 * * *", "every day at 02:00"],
    ["30 7 * * *", "every day at 07:30"],
    ["0 8,20 * * *", "every day at 08:00 and 20:00"],
    ["0 9 * * 1-5", "at 09:00 on weekdays"],
    ["0 9 * * MON-FRI", "at 09:00 on weekdays"],
    ["0 10 * * 0,6", "at 10:00 on weekends"],
    ["0 10 * * sat,sun", "at 10:00 on weekends"],
    ["0 0 * * 1", "at 00:00 on Monday"],
    ["0 0 * * 7", "at 00:00 on Sunday"],
    ["0 0 * * 1,3,5", "at 00:00 on Monday, Wednesday and Friday"],
    ["*/10 * * * 1-5", "every 10 minutes on weekdays"],
    ["0 0 1 * *", "at 00:00 on day 1 of the month"],
    ["0 3 1,15 * *", "at 03:00 on days 1 and 15 of the month"],
    ["0 0 2 * * *", "every day at 02:00"],
    ["*/10 * * * * *", "every 10 seconds"],
    ["* * * * * *", "every second"],
  ];
  for (const [expression, words] of cases) {
    assert.equal(describeSchedule(expression), words, expression);
  }
});

Deno.test("describeSchedule(): shortcuts and @every", () => {
  assert.equal(describeSchedule("@daily"), "every day at 00:00");
  assert.equal(describeSchedule("@HOURLY"), "every hour");
  assert.equal(describeSchedule("@weekly"), "every Sunday at 00:00");
  assert.equal(describeSchedule("@every 10m"), "every 10 minutes");
  assert.equal(describeSchedule("@every 1h30m"), "every 1 hour 30 minutes");
  assert.equal(describeSchedule("@every 1d"), "every 1 day");
});

Deno.test("describeSchedule(): null for what is better read as written", () => {
  for (
    const expression of [
      "0 0 1,15 * 5", // both day fields: Vixie's "either"
      "0 0 * 1 *", // a month
      "0 9-17 * * *", // an hour range
      "5-10 * * * *",
      "0 0 * * 5-1",
      "1 2 3",
      "",
      "15 0 2 * * *", // a second other than 0 with a fixed time
    ]
  ) {
    assert.equal(describeSchedule(expression), null, expression);
  }
});
