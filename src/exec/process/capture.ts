/**
 * Output capture of a child process: each stream keeps its first bytes up to a cap and
 * counts the rest, and complete lines are passed on as they arrive. The kept bytes can be
 * read while the process runs ({@linkcode KeptOutput}: live logs). With a secrets mask, bytes
 * are masked as they come in, before anything is kept or passed on, so the stored logs, the
 * live logs and the lines all show `***`. Reads use a "bring your own buffer" reader where the
 * stream supports it. No permissions needed.
 *
 * @module
 */

/**
 * Longest line handed to an `onLine` consumer; the rest of the line is dropped.
 *
 * @default {65536}
 */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Read buffer of a BYOB reader: it starts small, since most tasks print little and a run
 * of 1,000 such tasks would otherwise allocate 128 MiB of buffers the GC collects late,
 * and doubles while reads fill it, up to the 64 KiB a pipe holds.
 *
 * @default {1024}
 */
const READ_BUFFER_MIN = 1024;

/**
 * Largest read buffer: the 64 KiB a pipe holds (see READ_BUFFER_MIN).
 *
 * @default {65536}
 */
const READ_BUFFER_MAX = 64 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Masks secret values in a byte stream (`exec/secrets.ts`'s `MaskStream` fits). */
export interface StreamMask {
  /** The masked bytes that can be passed on now (some may be held back). */
  push(chunk: Uint8Array): Uint8Array;
  /** The bytes held back, at the end of the stream. */
  flush(): Uint8Array;
}

/** Splits a byte stream into lines for onLine, holding at most MAX_LINE_BYTES per line. */
export class LineSplitter {
  #parts: Uint8Array[] = [];
  #len = 0;
  #pending = false;
  readonly #emit: (line: string) => void;

  /** `emit` receives each line without its "\n"; exceptions it throws are ignored. */
  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  /** Adds bytes; emits every line they complete. */
  push(chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.#hold(chunk.subarray(start));
        return;
      }
      this.#hold(chunk.subarray(start, nl));
      this.#pending = true;
      this.flush();
      start = nl + 1;
    }
  }

  /** Emits the held line, if any. */
  flush(): void {
    if (!this.#pending) return;
    let bytes: Uint8Array;
    if (this.#parts.length === 1) bytes = this.#parts[0];
    else {
      bytes = new Uint8Array(this.#len);
      let off = 0;
      for (const p of this.#parts) {
        bytes.set(p, off);
        off += p.length;
      }
    }
    this.#parts = [];
    this.#len = 0;
    this.#pending = false;
    try {
      this.#emit(decoder.decode(bytes));
    } catch {
      // A failing live-log consumer must not break capture.
    }
  }

  #hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#pending = true;
    const room = MAX_LINE_BYTES - this.#len;
    if (room <= 0) return;
    // Copy: the chunk may be large and we only want the line's bytes.
    const piece = bytes.length > room ? bytes.slice(0, room) : bytes.slice();
    this.#parts.push(piece);
    this.#len += piece.length;
  }
}

/**
 * What a running attempt has printed on one stream so far: the kept bytes, readable while
 * they grow (the live logs read them; nothing else is buffered for them).
 */
export interface KeptOutput {
  /** Bytes kept so far. */
  readonly kept: number;
  /** Bytes produced so far, kept or not. */
  readonly total: number;
  /** The cap is reached: no more bytes will be kept. */
  readonly full: boolean;
  /** The kept bytes so far: a view whose bytes never change (later bytes go past its end). */
  bytes(): Uint8Array;
  /** Called after bytes were kept (one reader, the live attempt); exceptions are ignored. */
  onGrow: (() => void) | null;
}

/**
 * Keeps the first `max` bytes of a stream and counts the rest. Bytes are copied into one
 * growing buffer: Deno hands out small reads as views of a 64 KiB buffer, so keeping the
 * chunks themselves would pin 64 KiB per short line of a chatty, slow task.
 */
export class Capture implements KeptOutput {
  /** Bytes kept. */
  kept = 0;
  /** Bytes seen in total. */
  total = 0;
  /** Called after bytes were kept; see {@linkcode KeptOutput.onGrow}. */
  onGrow: (() => void) | null = null;
  #buf = new Uint8Array(0);
  readonly #max: number;
  readonly #lines: LineSplitter | null;
  readonly #mask: StreamMask | null;

  /**
   * Keeps at most `max` bytes; passes every chunk on to `lines` when given. With `mask`, the
   * bytes are masked first: what is kept, counted and passed on is the masked output.
   */
  constructor(max: number, lines: LineSplitter | null, mask: StreamMask | null = null) {
    this.#max = Math.max(0, max);
    this.#lines = lines;
    this.#mask = mask;
  }

  /** Counts `chunk`, keeps what fits (copied) and passes it to the line splitter. */
  push(chunk: Uint8Array): void {
    // Once nothing more is kept and no one reads lines, the rest is only counted: a task
    // that prints gigabytes pays for masking its first MiB alone.
    if (this.#mask === null || (this.#lines === null && this.full)) this.#add(chunk);
    else this.#add(this.#mask.push(chunk));
  }

  #add(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    const n = Math.min(this.#max - this.kept, chunk.length);
    if (n > 0) {
      const need = this.kept + n;
      if (need > this.#buf.length) {
        const grown = new Uint8Array(
          Math.min(this.#max, Math.max(need, this.#buf.length * 2, 4096)),
        );
        grown.set(this.#buf.subarray(0, this.kept));
        this.#buf = grown;
      }
      this.#buf.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.kept);
      this.kept = need;
      try {
        this.onGrow?.();
      } catch {
        // A failing live-log reader must not break capture.
      }
    }
    this.#lines?.push(chunk);
  }

  /** The kept bytes so far (a view of the buffer). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.kept);
  }

  /** The cap is reached: later bytes are only counted. */
  get full(): boolean {
    return this.kept >= this.#max;
  }

  /** Flushes the last partial line and decodes the kept bytes once. */
  text(): string {
    if (this.#mask) this.#add(this.#mask.flush());
    this.#lines?.flush();
    return this.kept === 0 ? "" : decoder.decode(this.#buf.subarray(0, this.kept));
  }

  /** More bytes were produced than kept. */
  get truncated(): boolean {
    return this.total > this.kept;
  }
}

/** A reader of a byte stream: BYOB where supported, default otherwise. */
export type ByteReader = ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;

/**
 * A "bring your own buffer" reader where the stream supports it (Deno's pipes do): reads
 * then reuse one buffer instead of allocating a fresh 64 KiB chunk each, which the GC
 * collects late (measured: +62 MB RSS while a task printed 100 MB, +19 MB with BYOB).
 */
export function byteReader(stream: ReadableStream<Uint8Array>): ByteReader {
  try {
    return stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader();
  }
}

/** Reads a stream into `cap` until EOF, error or cancel. `cap` copies what it keeps. */
export async function pump(reader: ByteReader, cap: Capture): Promise<void> {
  try {
    if (reader instanceof ReadableStreamBYOBReader) {
      let buffer = new ArrayBuffer(READ_BUFFER_MIN);
      for (;;) {
        const { done, value } = await reader.read(new Uint8Array(buffer));
        if (done || value === undefined) return;
        cap.push(value);
        buffer = value.length === value.buffer.byteLength && value.length < READ_BUFFER_MAX
          ? new ArrayBuffer(value.length * 2)
          : value.buffer;
      }
    }
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      cap.push(value);
    }
  } catch {
    // Read errors end capture; what was read is kept.
  }
}
