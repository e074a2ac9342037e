/**
 * Secrets (`secrets:` of a job): the values of the environment variables it names are shown as
 * `***` wherever Petit keeps or shows task output and errors. {@linkcode SecretMask} masks
 * whole strings (errors, a TypeScript task's log lines) and, through a {@linkcode MaskStream},
 * a byte stream as it is captured: a value cut by a chunk boundary is still found, because the
 * bytes that could be the start of a value are held back until the next chunk shows whether
 * they are. Empty values are never masked (they would match everywhere). No I/O.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { SecretMask } from "./secrets.ts";
 *
 * const mask = SecretMask.of(["hunter2"])!;
 * assert.equal(mask.text("password: hunter2"), "password: ***");
 * const stream = mask.stream();
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * const text = (b: Uint8Array) => new TextDecoder().decode(b);
 * // "hun" could begin the secret: it is held back until the next chunk.
 * assert.equal(text(stream.push(bytes("pw=hun"))), "pw=");
 * assert.equal(text(stream.push(bytes("ter2!\n"))), "***!\n");
 * ```
 *
 * @module
 */

/**
 * What a secret value is replaced with.
 *
 * @default {"***"}
 */
export const MASK = "***";

const encoder = new TextEncoder();
const MASK_BYTES = encoder.encode(MASK);

/** The secret values of one run or task, and the masking of text and bytes by them. */
export class SecretMask {
  /** The values, longest first (a value inside a longer one is masked as part of it). */
  readonly #texts: readonly string[];
  readonly #bytes: readonly Uint8Array[];

  private constructor(values: readonly string[]) {
    this.#texts = values;
    this.#bytes = values.map((v) => encoder.encode(v));
  }

  /** A mask of the non-empty `values`, or null when there are none (nothing to mask). */
  static of(values: Iterable<string>): SecretMask | null {
    const set = new Set([...values].filter((v) => v !== ""));
    if (set.size === 0) return null;
    return new SecretMask([...set].sort((a, b) => b.length - a.length));
  }

  /** A mask of the variables `names` in each of `layers` (see {@linkcode secretValues}). */
  static fromEnv(
    names: readonly string[],
    layers: readonly Readonly<Record<string, string>>[],
  ): SecretMask | null {
    return SecretMask.of(secretValues(names, layers));
  }

  /** This mask with more values (from a task's own layers); itself when there are none new. */
  with(values: Iterable<string>): SecretMask {
    const more = [...values].filter((v) => v !== "" && !this.#texts.includes(v));
    return more.length === 0 ? this : SecretMask.of([...this.#texts, ...more])!;
  }

  /** How many distinct values are masked. */
  get size(): number {
    return this.#texts.length;
  }

  /**
   * `text` with every secret value replaced by {@link MASK}: the leftmost value first, the
   * longest of those that start there (as the stream masks).
   */
  text(text: string): string {
    if (!this.#texts.some((v) => text.includes(v))) return text;
    let out = "";
    let at = 0;
    for (;;) {
      let best = -1;
      let length = 0;
      for (const value of this.#texts) {
        const p = text.indexOf(value, at);
        if (p !== -1 && (best === -1 || p < best || (p === best && value.length > length))) {
          best = p;
          length = value.length;
        }
      }
      if (best === -1) return out + text.slice(at);
      out += text.slice(at, best) + MASK;
      at = best + length;
    }
  }

  /** A masker for one byte stream (stdout or stderr of an attempt). */
  stream(): MaskStream {
    return new MaskStream(this.#bytes);
  }
}

/**
 * The non-empty values of the variables `names` in each of `layers`: every layer's, not only
 * the one that wins, so a value overridden by a later layer is masked too.
 */
export function secretValues(
  names: readonly string[],
  layers: readonly Readonly<Record<string, string>>[],
): string[] {
  const values: string[] = [];
  for (const layer of layers) {
    for (const name of names) {
      if (Object.hasOwn(layer, name) && layer[name] !== "") values.push(layer[name]);
    }
  }
  return values;
}

/** Masks one byte stream chunk by chunk; see {@linkcode SecretMask.stream}. */
export class MaskStream {
  readonly #values: readonly Uint8Array[];
  readonly #longest: number;
  #held: Uint8Array = new Uint8Array(0);

  /** A masker of `values` (non-empty byte strings, longest first). */
  constructor(values: readonly Uint8Array[]) {
    this.#values = values;
    this.#longest = values.reduce((n, v) => Math.max(n, v.length), 0);
  }

  /**
   * The masked bytes of `chunk` that can be passed on now. Bytes at its end that may begin a
   * secret value are held back and come with a later call, or {@link flush}.
   */
  push(chunk: Uint8Array): Uint8Array {
    return this.#mask(this.#held.length === 0 ? chunk : concat([this.#held, chunk]), false);
  }

  /** The bytes held back, masked, once the stream has ended (no value can grow any more). */
  flush(): Uint8Array {
    const held = this.#held;
    this.#held = new Uint8Array(0);
    return held.length === 0 ? held : this.#mask(held, true);
  }

  /** `data` masked; unless `final`, what may begin a value is held back. */
  #mask(data: Uint8Array, final: boolean): Uint8Array {
    const parts: Uint8Array[] = [];
    const next = this.#values.map(() => -2); // -2: not searched yet; -1: none left
    let at = 0;
    for (;;) {
      let best = -1;
      let bestLength = 0;
      this.#values.forEach((value, k) => {
        if (next[k] !== -1 && next[k] < at) next[k] = indexOfBytes(data, value, at);
        const p = next[k];
        if (p !== -1 && (best === -1 || p < best || (p === best && value.length > bestLength))) {
          best = p;
          bestLength = value.length;
        }
      });
      if (best === -1) break;
      // Near the end, a longer value may begin at or before this match and be cut by the
      // chunk's end ("hunt" of "hunter2"): hold from there and decide with the next chunk.
      if (!final && best > data.length - this.#longest && this.#heldFrom(data, at) <= best) break;
      parts.push(data.subarray(at, best), MASK_BYTES);
      at = best + bestLength;
    }
    const hold = final ? data.length : this.#heldFrom(data, at);
    parts.push(data.subarray(at, hold));
    // Copied: `data` may be the reader's buffer, which is reused.
    if (!final) this.#held = data.slice(hold);
    return concat(parts);
  }

  /** Where the longest end of `data` (from `from` on) that may begin a secret value starts. */
  #heldFrom(data: Uint8Array, from: number): number {
    const start = Math.max(from, data.length - (this.#longest - 1));
    for (let q = start; q < data.length; q++) {
      const rest = data.length - q;
      for (const value of this.#values) {
        if (value.length > rest && startsWith(value, data, q, rest)) return q;
      }
    }
    return data.length;
  }
}

/** Whether `value` begins with the `n` bytes of `data` at `offset`. */
function startsWith(value: Uint8Array, data: Uint8Array, offset: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (value[i] !== data[offset + i]) return false;
  return true;
}

/** The first index of `needle` in `hay` from `from` on, or -1. */
function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i !== -1 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  let length = 0;
  for (const p of nonEmpty) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of nonEmpty) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
