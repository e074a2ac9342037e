import assert from "node:assert/strict";
import {
  DURATION_PATTERN,
  DurationError,
  durationPatternSource,
  formatDuration,
  parseDuration,
  type ParseDurationOptions,
} from "../../src/schedule/duration.ts";

/** Asserts that parsing fails with exactly this message. */
function assertInvalid(text: string, message: string): void {
  assert.throws(() => parseDuration(text), (error: unknown) => {
    assert.ok(error instanceof DurationError, `expected DurationError for ${text}`);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("parseDuration: single units", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("90m"), 5_400_000);
  assert.equal(parseDuration("05s"), 5_000);
});

Deno.test("parseDuration: combined units in descending order", () => {
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1d2h"), 93_600_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1s500ms"), 1_500);
  assert.equal(parseDuration("1d2h3m4s5ms"), 86_400_000 + 7_200_000 + 180_000 + 4_000 + 5);
  assert.equal(parseDuration("0h5m"), 300_000);
});

Deno.test("parseDuration: trims surrounding whitespace", () => {
  assert.equal(parseDuration("  1h30m\n"), 5_400_000);
  assert.equal(parseDuration("\t10s "), 10_000);
});

Deno.test("parseDuration: error messages from the reference", () => {
  assertInvalid(
    "1h30",
    'invalid duration "1h30": trailing number without a unit (use s, m, h or d)',
  );
  assertInvalid("0s", 'invalid duration "0s": must be greater than zero');
  assertInvalid("5x", 'invalid duration "5x": unknown unit "x" (use ms, s, m, h or d)');
});

Deno.test("parseDuration: rejects bare numbers, zero totals and empty text", () => {
  assertInvalid("30", 'invalid duration "30": missing unit after 30 (use ms, s, m, h or d)');
  assertInvalid("0h0m", 'invalid duration "0h0m": must be greater than zero');
  assertInvalid("", 'invalid duration "": empty, expected e.g. 30s, 5m or 1h30m');
  assertInvalid("   ", 'invalid duration "": empty, expected e.g. 30s, 5m or 1h30m');
});

Deno.test("parseDuration: units must not repeat and must descend", () => {
  assertInvalid(
    "30m1h",
    'invalid duration "30m1h": unit "h" must come before "m" (largest unit first)',
  );
  assertInvalid(
    "1s1m",
    'invalid duration "1s1m": unit "m" must come before "s" (largest unit first)',
  );
  assertInvalid("1m2m", 'invalid duration "1m2m": unit "m" appears more than once');
  assertInvalid(
    "500ms1s",
    'invalid duration "500ms1s": unit "s" must come before "ms" (largest unit first)',
  );
});

Deno.test("parseDuration: rejects spaces, signs, fractions, case and stray units", () => {
  assertInvalid(
    "1h 30m",
    'invalid duration "1h 30m": spaces are not allowed inside a duration (write e.g. 1h30m)',
  );
  assertInvalid(
    "5 m",
    'invalid duration "5 m": spaces are not allowed inside a duration (write e.g. 1h30m)',
  );
  assertInvalid(
    "1.5h",
    'invalid duration "1.5h": only whole numbers are allowed (write e.g. 1m30s)',
  );
  assertInvalid("-5m", 'invalid duration "-5m": unexpected character "-"');
  assertInvalid("+5m", 'invalid duration "+5m": unexpected character "+"');
  assertInvalid("h", 'invalid duration "h": unit "h" has no number before it');
  assertInvalid("1hm", 'invalid duration "1hm": unknown unit "hm" (use ms, s, m, h or d)');
  assertInvalid("5M", 'invalid duration "5M": unknown unit "M" (use ms, s, m, h or d)');
  assertInvalid("5min", 'invalid duration "5min": unknown unit "min" (use ms, s, m, h or d)');
});

Deno.test("parseDuration: allowMilliseconds false rejects ms", () => {
  assert.equal(parseDuration("1h30m", { allowMilliseconds: false }), 5_400_000);
  assert.throws(
    () => parseDuration("500ms", { allowMilliseconds: false }),
    {
      name: "DurationError",
      message: 'invalid duration "500ms": milliseconds are not allowed here (use s, m, h or d)',
    },
  );
  assert.throws(
    () => parseDuration("5x", { allowMilliseconds: false }),
    { message: 'invalid duration "5x": unknown unit "x" (use s, m, h or d)' },
  );
});

Deno.test("parseDuration: exposes input and reason", () => {
  try {
    parseDuration(" 1h30 ");
    assert.fail("expected a DurationError");
  } catch (error) {
    assert.ok(error instanceof DurationError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "DurationError");
    assert.equal(error.input, " 1h30 ");
    assert.equal(error.reason, "trailing number without a unit (use s, m, h or d)");
  }
});

Deno.test("parseDuration: rejects totals beyond safe integers", () => {
  assertInvalid("99999999999999999999d", 'invalid duration "99999999999999999999d": too large');
});

/** Every string of up to `length` characters from `alphabet`. */
function allStrings(alphabet: readonly string[], length: number): string[] {
  let level = [""];
  const out = [""];
  for (let i = 0; i < length; i++) {
    level = level.flatMap((prefix) => alphabet.map((ch) => prefix + ch));
    out.push(...level);
  }
  return out;
}

function parses(text: string, options?: ParseDurationOptions): boolean {
  try {
    parseDuration(text, options);
    return true;
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    return false;
  }
}

Deno.test("DURATION_PATTERN: matches exactly the strings parseDuration accepts", () => {
  // JSON Schema validators such as ajv compile patterns with the `u` flag. Totals beyond safe
  // integers, which the pattern cannot see, need more characters than these strings have.
  const patterns = [DURATION_PATTERN, new RegExp(DURATION_PATTERN.source, "u")];
  for (const text of allStrings(["0", "1", "d", "h", "m", "s", "x", " ", "."], 5)) {
    for (const pattern of patterns) {
      assert.equal(pattern.test(text), parses(text), JSON.stringify(text));
    }
  }
});

Deno.test("durationPatternSource: allowMilliseconds false leaves out ms", () => {
  const pattern = new RegExp(
    `^\\s*${durationPatternSource({ allowMilliseconds: false })}\\s*$`,
    "u",
  );
  for (const text of allStrings(["0", "2", "h", "m", "s", " "], 5)) {
    const expected = parses(text, { allowMilliseconds: false });
    assert.equal(pattern.test(text), expected, JSON.stringify(text));
  }
  assert.equal(pattern.test("500ms"), false);
  assert.equal(pattern.test("1h30m"), true);
});

Deno.test("formatDuration: reference examples", () => {
  assert.equal(formatDuration(5_400_000), "1h30m");
  assert.equal(formatDuration(1_500), "1.5s");
  assert.equal(formatDuration(250), "250ms");
});

Deno.test("formatDuration: boundaries and rounding", () => {
  assert.equal(formatDuration(0), "0ms");
  assert.equal(formatDuration(999), "999ms");
  assert.equal(formatDuration(999.6), "1s");
  assert.equal(formatDuration(1_000), "1s");
  assert.equal(formatDuration(1_234), "1.2s");
  assert.equal(formatDuration(59_940), "59.9s");
  assert.equal(formatDuration(59_960), "1m");
  assert.equal(formatDuration(60_000), "1m");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(86_400_000 + 3_600_000 + 60_000 + 1_000), "1d1h1m1s");
  assert.equal(formatDuration(2 * 86_400_000), "2d");
  assert.equal(formatDuration(-1_500), "-1.5s");
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), "Infinity");
});

Deno.test("formatDuration: whole-second values from a minute on round-trip", () => {
  for (const text of ["1m", "1h30m", "1d2h", "2d3h4m5s", "59m59s"]) {
    assert.equal(formatDuration(parseDuration(text)), text);
  }
});
