import assert from "node:assert/strict";
import { CronPattern } from "croner";
import { dayFieldsAnded, neverFiresReason, surelyFires } from "../../src/schedule/day_fields.ts";

/** croner's parse of a 6-field pattern, as cron.ts makes it. */
function parse(pattern: string): CronPattern {
  return new CronPattern(pattern, undefined, { mode: "6-part" });
}

Deno.test("dayFieldsAnded(): true when either day field starts with *, as in Vixie cron", () => {
  assert.equal(dayFieldsAnded("*", "*"), true);
  assert.equal(dayFieldsAnded("*/10", "1"), true);
  assert.equal(dayFieldsAnded("13", "*/5"), true);
  assert.equal(dayFieldsAnded("*,13", "FRI"), true);
  assert.equal(dayFieldsAnded("?", "MON"), true);
  // Only the first character counts: these restrict nothing, but Vixie ORs them.
  assert.equal(dayFieldsAnded("13,*", "FRI"), false);
  assert.equal(dayFieldsAnded("1-31", "1"), false);
  assert.equal(dayFieldsAnded("1,15", "5"), false);
});

Deno.test("surelyFires(): a day that exists in a named month, plain weekdays", () => {
  assert.equal(surelyFires(parse("0 0 0 * * *")), true);
  assert.equal(surelyFires(parse("0 0 0 31 1,2 *")), true);
  assert.equal(surelyFires(parse("0 0 0 29 2 *")), true);
  assert.equal(surelyFires(parse("0 0 0 29 2 */7")), true);
  assert.equal(surelyFires(parse("0 0 0 L 2 *")), true);
  assert.equal(surelyFires(parse("0 0 0 31 2 *")), false);
  assert.equal(surelyFires(parse("0 0 0 31 4,6,9,11 *")), false);
  // Unsure, though these fire: the fields OR, or croner's nth weekday and W extensions.
  assert.equal(surelyFires(parse("0 0 0 31 2 1")), false);
  assert.equal(surelyFires(parse("0 0 0 * * 1#2")), false);
  assert.equal(surelyFires(parse("0 0 0 15W * *")), false);
});

Deno.test("neverFiresReason(): names the days and months, or says no time matches", () => {
  assert.equal(neverFiresReason(parse("0 0 0 31 2 *")), "day 31 does not occur in February");
  assert.equal(
    neverFiresReason(parse("0 0 0 30,31 2 *")),
    "days 30 and 31 do not occur in February",
  );
  assert.equal(
    neverFiresReason(parse("0 0 0 31 2,4 *")),
    "day 31 does not occur in February or April",
  );
  assert.equal(
    neverFiresReason(parse("0 0 0 31 APR,JUN,SEP,NOV */2")),
    "day 31 does not occur in April, June, September or November",
  );
  assert.equal(neverFiresReason(parse("0 0 0 30W 2 *")), "day 30 does not occur in February");
  // croner's AND prefix (+) with a fifth Monday among days 1-7: the days exist, no time matches.
  assert.equal(neverFiresReason(parse("0 0 0 1-7 * +1#5")), "no time matches all of its fields");
});
