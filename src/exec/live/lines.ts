/**
 * Lines of captured bytes, read with a cursor: what the live logs stream, found in the
 * capture itself rather than copied per line, so a reader that falls behind costs nothing but
 * its cursor. Lines are cut at `MAX_LINE_BYTES` like the `onLine` lines. No I/O.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { newCursor, takeLines } from "./lines.ts";
 *
 * const bytes = new TextEncoder().encode("one\ntwo\npart");
 * const cursor = newCursor();
 * assert.deepEqual(takeLines(bytes, cursor, false), ["one", "two"]);
 * assert.deepEqual(takeLines(bytes, cursor, true), ["part"]); // the stream ended
 * ```
 *
 * @module
 */

import { MAX_LINE_BYTES } from "../process/capture.ts";

/** Where a reader is in one stream's bytes. */
export interface LineCursor {
  /** Start of the next line. */
  offset: number;
  /** Bytes before this were searched for a newline already (from `offset` on). */
  scanned: number;
}

/** A cursor at the start of a stream. */
export function newCursor(): LineCursor {
  return { offset: 0, scanned: 0 };
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * The complete lines of `bytes` after `cursor`, at most `limit` of them, and the cursor
 * moved past them. With `final` (no more bytes will come), the bytes after the last newline
 * are a line too. Lines are returned without their `\n`.
 */
export function takeLines(
  bytes: Uint8Array,
  cursor: LineCursor,
  final: boolean,
  limit: number = Infinity,
): string[] {
  const lines: string[] = [];
  while (lines.length < limit && cursor.offset < bytes.length) {
    const nl = bytes.indexOf(10, Math.max(cursor.scanned, cursor.offset));
    if (nl === -1 && !final) {
      // Only the new bytes are searched next time: a long line arriving in small writes
      // is not searched again from its start.
      cursor.scanned = bytes.length;
      break;
    }
    const end = nl === -1 ? bytes.length : nl;
    const cut = Math.min(end, cursor.offset + MAX_LINE_BYTES);
    lines.push(decoder.decode(bytes.subarray(cursor.offset, cut)));
    cursor.offset = nl === -1 ? end : end + 1;
    cursor.scanned = cursor.offset;
  }
  return lines;
}
