/**
 * `SecretMask` and `MaskStream`: secret values become `***` in strings and in byte streams
 * however the stream is cut into chunks, and a `Capture` with a mask keeps, counts and
 * passes on only masked bytes (what the stored logs, live logs and lines show).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Capture, LineSplitter } from "../../src/exec/process/capture.ts";
import { MASK, SecretMask, secretValues } from "../../src/exec/secrets.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `text` pushed through a new stream of `mask` in chunks cut at `cuts`, then flushed. */
function streamed(mask: SecretMask, text: string, cuts: number[]): string {
  const bytes = encoder.encode(text);
  const stream = mask.stream();
  const out: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(stream.push(bytes.slice(at, cut)));
    at = cut;
  }
  out.push(stream.flush());
  // Decoded once: a chunk may end inside a character.
  return decoder.decode(new Uint8Array(out.flatMap((b) => [...b])));
}

Deno.test("SecretMask.text(): every occurrence masked, the longest of those at one place, empty ignored", () => {
  const mask = SecretMask.of(["s3cr3t", "s3cr3t-and-more", ""])!;
  assert.equal(mask.size, 2);
  assert.equal(mask.text("a s3cr3t, b s3cr3t-and-more, c"), `a ${MASK}, b ${MASK}, c`);
  assert.equal(mask.text("nothing here"), "nothing here");
  assert.equal(SecretMask.of(["", ""]), null);
  assert.equal(SecretMask.of([]), null);
  assert.equal(mask.with(["other"]).text("other s3cr3t"), `${MASK} ${MASK}`);
  assert.equal(mask.with([]), mask);
});

Deno.test("secretValues(): the named variables of every layer, not only the last", () => {
  const layers: Record<string, string>[] = [
    { TOKEN: "from-env", PATH: "/bin" },
    { TOKEN: "from-file", EMPTY: "" },
    {},
  ];
  assert.deepEqual(secretValues(["TOKEN", "EMPTY", "MISSING"], layers), ["from-env", "from-file"]);
  assert.equal(SecretMask.fromEnv(["EMPTY"], layers), null);
});

Deno.test("MaskStream: a value cut anywhere by chunk boundaries is still masked", () => {
  const mask = SecretMask.of(["hunter2", "hunt"])!;
  const text = "x hunter2 y huntx hunter2hunter2 z hun";
  const want = `x ${MASK} y ${MASK}x ${MASK}${MASK} z hun`;
  assert.equal(mask.text(text), want);
  const n = encoder.encode(text).length;
  for (let a = 0; a <= n; a++) {
    for (let b = a; b <= n; b += 3) {
      assert.equal(streamed(mask, text, [a, b]), want, `cuts ${a}, ${b}`);
    }
  }
  // Byte by byte, with multi-byte characters in and around the value.
  const utf = SecretMask.of(["pässwörd"])!;
  const bytes = [...Array(encoder.encode("é pässwörd ü").length).keys()];
  assert.equal(streamed(utf, "é pässwörd ü", bytes), `é ${MASK} ü`);
});

Deno.test("MaskStream: holds back only what could begin a value, so lines pass at once", () => {
  const stream = SecretMask.of(["token-123"])!.stream();
  assert.equal(decoder.decode(stream.push(encoder.encode("line one\n"))), "line one\n");
  assert.equal(decoder.decode(stream.push(encoder.encode("value tok"))), "value ");
  assert.equal(decoder.decode(stream.push(encoder.encode("e\n"))), "toke\n");
  assert.equal(decoder.decode(stream.flush()), "");
  assert.equal(decoder.decode(stream.push(encoder.encode("end token-"))), "end ");
  assert.equal(decoder.decode(stream.flush()), "token-");
});

Deno.test("Capture with a mask: kept bytes, counts and lines are the masked output", () => {
  const lines: string[] = [];
  const cap = new Capture(
    1024,
    new LineSplitter((l) => lines.push(l)),
    SecretMask.of(["abc123"])!.stream(),
  );
  cap.push(encoder.encode("key=ab"));
  // "ab" may begin the value: not kept yet, so live readers never see half of it.
  assert.equal(decoder.decode(cap.bytes()), "key=");
  cap.push(encoder.encode("c123\nbye abc"));
  assert.equal(decoder.decode(cap.bytes()), `key=${MASK}\nbye `);
  assert.deepEqual(lines, [`key=${MASK}`]);
  assert.equal(cap.text(), `key=${MASK}\nbye abc`);
  assert.deepEqual(lines, [`key=${MASK}`, "bye abc"]);
  assert.equal(cap.total, encoder.encode(`key=${MASK}\nbye abc`).length);
  assert.equal(cap.truncated, false);
});

Deno.test("Capture with a mask: past the cap, output is only counted", () => {
  const cap = new Capture(8, null, SecretMask.of(["zz"])!.stream());
  cap.push(encoder.encode("zz zz zz"));
  assert.equal(decoder.decode(cap.bytes()), `${MASK} ${MASK} `);
  cap.push(encoder.encode("more zz output"));
  assert.equal(cap.full, true);
  assert.equal(cap.truncated, true);
  assert.equal(cap.text(), `${MASK} ${MASK} `);
});

/** Leftmost, then longest, matches replaced: the reference both maskings are checked against. */
function reference(values: string[], text: string): string {
  let out = "";
  let at = 0;
  while (at < text.length) {
    const hit = values.filter((v) => text.startsWith(v, at)).sort((a, b) => b.length - a.length)[0];
    if (hit) {
      out += MASK;
      at += hit.length;
    } else out += text[at++];
  }
  return out;
}

Deno.test("MaskStream: random values and chunkings agree with leftmost-longest masking", () => {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const word = (max: number) =>
    Array.from({ length: 1 + Math.floor(next() * max) }, () => "abc"[Math.floor(next() * 3)])
      .join("");
  for (let round = 0; round < 2000; round++) {
    const values = [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => word(4)))];
    const text = word(30);
    const cuts = [
      ...new Set(
        Array.from({ length: Math.floor(next() * 6) }, () => Math.floor(next() * text.length)),
      ),
    ].sort((a, b) => a - b);
    const mask = SecretMask.of(values)!;
    const want = reference(values, text);
    assert.equal(streamed(mask, text, cuts), want, `values ${values}, text ${text}, cuts ${cuts}`);
    assert.equal(mask.text(text), want, `text(): values ${values}, text ${text}`);
  }
});
