import assert from "node:assert/strict";
import { InMemoryStorage } from "../../src/storage/memory.ts";
import {
  decodeRunCursor,
  encodeRunCursor,
  InvalidCursorError,
  listRunPage,
} from "../../src/storage/run_page.ts";
import type { RunRecord } from "../../src/storage/types.ts";

Deno.test("encodeRunCursor: URL-safe text that decodeRunCursor turns back into the key", () => {
  for (
    const key of [
      { started_at: 1_767_225_600_000, id: "mibc2x1f4-9a1c03ee" },
      { started_at: 0, id: "r" },
      { started_at: 5, id: 'quote " slash / plus + ünïcødé 🎉' },
    ]
  ) {
    const cursor = encodeRunCursor(key);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.equal(encodeURIComponent(cursor), cursor);
    assert.deepEqual(decodeRunCursor(cursor), key);
  }
  // Only the key goes in: a whole run record gives the same cursor.
  assert.equal(
    encodeRunCursor({ started_at: 7, id: "a", job_id: "j" } as RunRecord),
    encodeRunCursor({ started_at: 7, id: "a" }),
  );
});

Deno.test("decodeRunCursor: says what is wrong with a cursor it did not make", () => {
  const b64 = (text: string) =>
    btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const cases: [string, RegExp][] = [
    ["", /^invalid cursor: empty \(pass next_cursor/],
    ["abc def", /^invalid cursor: not base64url text/],
    ["abc+/", /not base64url text/],
    ["abc==", /not base64url text/],
    ["a", /not base64url text/], // a length no base64 text has
    [b64("not json"), /not a run position/],
    [b64("{}"), /not a run position/],
    [b64("[1]"), /not a run position/],
    [b64('[1, "a", 3]'), /not a run position/],
    [b64('["1", "a"]'), /not a run position/],
    [b64('[1, ""]'), /not a run position/],
    [b64("[1, 2]"), /not a run position/],
    [b64("\xff\xfe"), /not a run position/], // not UTF-8
  ];
  for (const [cursor, message] of cases) {
    assert.throws(
      () => decodeRunCursor(cursor),
      (err: unknown) => {
        assert.ok(err instanceof InvalidCursorError, `${cursor}: ${err}`);
        assert.equal(err.name, "InvalidCursorError");
        assert.match(err.message, message, cursor);
        assert.equal(err.message, `invalid cursor: ${err.reason}`);
        return true;
      },
    );
  }
  // A cursor cut short is refused, not read as another position.
  const cursor = encodeRunCursor({ started_at: 1_767_225_600_000, id: "mibc2x1f4-9a1c03ee" });
  assert.throws(() => decodeRunCursor(cursor.slice(0, -3)), InvalidCursorError);
});

Deno.test("listRunPage: limit 0 is an empty last page", () => {
  const s = new InMemoryStorage();
  s.insertRun({
    id: "r1",
    job_id: "job",
    status: "completed",
    trigger: "manual",
    reason: null,
    scheduled_for: null,
    started_at: 1,
    ended_at: 2,
    duration_ms: 1,
    error: null,
    retry_of: null,
  });
  assert.deepEqual(listRunPage(s, { limit: 0 }), { runs: [], next_cursor: null });
  const one = listRunPage(s, { limit: 1 });
  assert.deepEqual([one.runs.map((r) => r.id), one.next_cursor], [["r1"], null]);
});
