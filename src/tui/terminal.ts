/**
 * The terminal, driven with plain ANSI (VT100/xterm) sequences and `Deno.stdin.setRaw`: the
 * alternate screen, a hidden cursor, raw key input, `Deno.consoleSize()` and `SIGWINCH` for
 * resizes. A frame is written as the lines that changed since the last one, each erased
 * first, in one write: little traffic over SSH, no flicker.
 *
 * Why no terminal library: the dashboard must run under `deno compile`, also for aarch64
 * (a Raspberry Pi), so nothing native. Of npm's libraries, `ink` 8 runs under Deno (React
 * plus yoga as WebAssembly, no addon), but brings 40 packages (7.9 MB of modules): a
 * hello-world `render(<Text>)` took 0.35 s and 79 MB resident against 0.03 s and 31 MB for a
 * plain `console.log` (Deno 2.9.6, x86-64, warm cache), several times that on a Pi. `blessed` was last released in 2015 and, like its forks
 * (`neo-blessed`, `reblessed`), reads terminfo files at run time; `terminal-kit` pulls in
 * image libraries (`ndarray`, `get-pixels`, `chroma-js`); `@opentui/core` is a native Zig
 * core loaded through Bun's FFI. What this dashboard needs of a terminal is a dozen fixed
 * sequences that every terminal emulator in use (and tmux, and the Linux console) knows, so
 * they are written here.
 *
 * Needs a terminal on stdin and stdout; `--allow-env` is not needed (`NO_COLOR` is read
 * through `Deno.noColor`).
 *
 * @module
 */

import { type Key, parseKeys } from "./keys.ts";
import type { Size } from "./render.ts";

/** What the app does with a screen; {@link Terminal} is the real one. */
export interface Screen {
  /** The size now. */
  size(): Size;
  /** Shows `lines` (one per row, from the top). */
  draw(lines: readonly string[]): void;
  /** Forgets what is on the screen: the next draw writes every line (after a resize). */
  invalidate(): void;
  /** Takes the terminal: raw input, alternate screen, hidden cursor. */
  enter(): void;
  /** Gives it back as it was; safe to call more than once and after errors. */
  leave(): void;
  /** Calls `onKeys` with each read's keys until {@link stopKeys}; resolves at end of input. */
  readKeys(onKeys: (keys: Key[]) => void): Promise<void>;
  /** Stops reading keys. */
  stopKeys(): Promise<void>;
  /** Calls `listener` when the terminal is resized; returns the unsubscribe function. */
  onResize(listener: () => void): () => void;
}

/** Alternate screen, hidden cursor, no line wrap, cleared. */
const ENTER = "\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[2J\x1b[H";
/** Attributes off, line wrap and cursor back, main screen. */
const LEAVE = "\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l";

const encoder = new TextEncoder();

/** Writes all of `text` to stdout (a terminal may take less than asked at once). */
function writeAll(text: string): void {
  const bytes = encoder.encode(text);
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
}

/** The process's terminal. */
export class Terminal implements Screen {
  #active = false;
  #raw = false;
  #shown: string[] = [];
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  readonly #onUnload = () => this.leave();

  /** Whether stdin and stdout are both a terminal (the dashboard needs both). */
  static available(): boolean {
    return Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  }

  /** The size, or 80×24 when the terminal does not say. */
  size(): Size {
    try {
      const { columns, rows } = Deno.consoleSize();
      if (columns > 0 && rows > 0) return { columns, rows };
    } catch {
      // Not a terminal any more (the SSH session went away).
    }
    return { columns: 80, rows: 24 };
  }

  /** Writes the lines that changed since the last draw. */
  draw(lines: readonly string[]): void {
    let out = "";
    for (let i = 0; i < lines.length; i++) {
      if (this.#shown[i] === lines[i]) continue;
      // Erase first: erasing after a full-width line would take its last cell.
      out += `\x1b[${i + 1};1H\x1b[2K${lines[i]}\x1b[0m`;
    }
    this.#shown = [...lines];
    if (out) writeAll(out);
  }

  /** Clears the screen; the next draw writes everything. */
  invalidate(): void {
    this.#shown = [];
    if (this.#active) writeAll("\x1b[2J");
  }

  /** Raw mode on, alternate screen, cursor hidden. */
  enter(): void {
    if (this.#active) return;
    Deno.stdin.setRaw(true);
    this.#raw = true;
    this.#active = true;
    // Deno.exit() anywhere still gives the terminal back.
    globalThis.addEventListener("unload", this.#onUnload);
    writeAll(ENTER);
    this.#shown = [];
  }

  /** Main screen, cursor shown, raw mode off. */
  leave(): void {
    if (!this.#active) return;
    this.#active = false;
    globalThis.removeEventListener("unload", this.#onUnload);
    try {
      writeAll(LEAVE);
    } catch {
      // The terminal is gone (hang-up): nothing to restore on it.
    }
    if (this.#raw) {
      this.#raw = false;
      try {
        Deno.stdin.setRaw(false);
      } catch {
        // Same.
      }
    }
  }

  /** Reads keys until stopped or the input ends. */
  async readKeys(onKeys: (keys: Key[]) => void): Promise<void> {
    const reader = Deno.stdin.readable.getReader();
    this.#reader = reader;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        onKeys(parseKeys(value));
      }
    } finally {
      if (this.#reader === reader) this.#reader = null;
      reader.releaseLock();
    }
  }

  /** Ends {@link readKeys} (cancels the pending read, so the process can exit). */
  async stopKeys(): Promise<void> {
    await this.#reader?.cancel().catch(() => {});
  }

  /** `SIGWINCH`. */
  onResize(listener: () => void): () => void {
    Deno.addSignalListener("SIGWINCH", listener);
    return () => Deno.removeSignalListener("SIGWINCH", listener);
  }
}
