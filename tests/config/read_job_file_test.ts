/**
 * Tests of read_job_file.ts: bytes that are not valid UTF-8 are one error at the first bad
 * byte, as file:line:col; valid files (with or without a byte order mark) read as text.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError } from "../../src/config/errors.ts";
import { decodeJobText, readJobText, readJobTextSync } from "../../src/config/read_job_file.ts";

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
  );

/** The error of decoding `data`, formatted, or the text. */
function decode(data: Uint8Array): string {
  const read = decodeJobText("f.yaml", data);
  return read.error ? formatConfigError(read.error) : `text ${JSON.stringify(read.text)}`;
}

Deno.test("decodeJobText(): valid UTF-8 is the text; a byte order mark is dropped", () => {
  assert.equal(decode(bytes("id: café\n")), 'text "id: café\\n"');
  assert.equal(decode(bytes([0xef, 0xbb, 0xbf], "id: a\n")), 'text "id: a\\n"');
  assert.equal(decode(bytes("emoji: 🎉\n")), 'text "emoji: 🎉\\n"');
});

Deno.test("decodeJobText(): a bad byte is an error at its line and column", () => {
  assert.equal(
    decode(bytes("id: a\nname: x", [0xff], "y\n")),
    "f.yaml:2:8: not valid UTF-8 (byte 0xFF; save the file as UTF-8)",
  );
  // Latin-1 é (0xE9) after two characters that are 2 and 4 bytes in UTF-8: columns count
  // characters (UTF-16 units, as YAML positions do), not bytes.
  assert.equal(
    decode(bytes("a\nb\nxé🎉", [0xe9], "t\n")),
    "f.yaml:3:5: not valid UTF-8 (byte 0xE9; save the file as UTF-8)",
  );
  assert.match(decode(bytes([0xef, 0xbb, 0xbf], "ab", [0x80])), /^f\.yaml:1:3: /);
});

Deno.test("decodeJobText(): truncated, overlong and surrogate sequences point at their start", () => {
  const cases: [number[], string][] = [
    [[0xc3], "1:3"], // a 2-byte start at the end of the file
    [[0xe2, 0x82, 0x41], "1:3"], // a 3-byte sequence cut short
    [[0xc0, 0xaf], "1:3"], // overlong "/"
    [[0xe0, 0x80, 0xaf], "1:3"], // overlong, 3 bytes
    [[0xed, 0xa0, 0x80], "1:3"], // a UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], "1:3"], // past U+10FFFF
    [[0xf8, 0x88, 0x80, 0x80, 0x80], "1:3"], // 5-byte form
  ];
  for (const [bad, at] of cases) {
    const message = decode(bytes("ab", bad, "\n"));
    assert.ok(message.startsWith(`f.yaml:${at}: not valid UTF-8`), `${bad}: ${message}`);
  }
});

Deno.test("readJobText(): a file that is not UTF-8 is its error, read either way", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-utf8-" });
  try {
    const file = join(dir, "latin1.yaml");
    await Deno.writeFile(file, bytes("id: a\ndescription: caf", [0xe9], "\n"));
    const expected = `${file}:2:17: not valid UTF-8 (byte 0xE9; save the file as UTF-8)`;
    const read = await readJobText(file);
    assert.equal(read.error && formatConfigError(read.error), expected);
    const sync = readJobTextSync(file);
    assert.equal(sync.error && formatConfigError(sync.error), expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
