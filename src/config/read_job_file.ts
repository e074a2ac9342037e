/**
 * Reads the text of a job file. A file that is listed but cannot be read (a broken symlink,
 * a symlink to a folder or to itself, no permission) does not stop the folder from loading:
 * it becomes one error at `file:1:1`, `cannot read: …`, like any other invalid file. A file
 * that is not valid UTF-8 is one error at its first bad byte: decoding it loosely would turn
 * the bytes into U+FFFD, and a task would run with other text than the file holds.
 *
 * Needs `--allow-read` for the jobs folder.
 *
 * @module
 */

import type { ConfigError } from "./errors.ts";

/** A job file's text, or the error saying why it could not be read. */
export type JobText =
  | { readonly text: string; readonly error?: undefined }
  | { readonly text?: undefined; readonly error: ConfigError };

/** Reads `file`; a read failure is returned as a positioned error, never thrown. */
export async function readJobText(file: string): Promise<JobText> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (err) {
    return { error: unreadable(file, err) };
  }
  return decodeJobText(file, bytes);
}

/** {@link readJobText} for parse workers, which read one file at a time. */
export function readJobTextSync(file: string): JobText {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(file);
  } catch (err) {
    return { error: unreadable(file, err) };
  }
  return decodeJobText(file, bytes);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const LOOSE_UTF8 = new TextDecoder("utf-8");

/**
 * A job file's bytes as text (a leading byte order mark is dropped), or the error at the
 * first byte that is not valid UTF-8, as `file:line:col: not valid UTF-8 …`.
 */
export function decodeJobText(file: string, bytes: Uint8Array): JobText {
  try {
    return { text: UTF8.decode(bytes) };
  } catch {
    const bad = firstInvalidByte(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    // Columns count characters (UTF-16 units, like the YAML positions), not bytes; the
    // decoder drops a byte order mark, which is no column either.
    const col = LOOSE_UTF8.decode(bytes.subarray(lineStart, bad)).length + 1;
    const hex = (bytes[bad] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    return {
      error: {
        file,
        line,
        col,
        message: `not valid UTF-8 (byte 0x${hex}; save the file as UTF-8)`,
      },
    };
  }
}

/**
 * The offset of the first byte that does not belong to a well-formed UTF-8 sequence (the
 * table of the Unicode standard, §3.9: no overlongs, no surrogates, nothing past U+10FFFF).
 */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      // A truncated sequence: the first byte that breaks it (or the end) is where it fails,
      // but the sequence's first byte is the one to point at.
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

function unreadable(file: string, err: unknown): ConfigError {
  return { file, line: 1, col: 1, message: `cannot read: ${reason(file, err)}` };
}

/** The reason in a few words; Deno's own messages repeat the path and the errno. */
function reason(file: string, err: unknown): string {
  if (err instanceof Deno.errors.NotFound) {
    try {
      return `broken symlink (${Deno.readLinkSync(file)} does not exist)`;
    } catch {
      return "the file was removed while loading";
    }
  }
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "it is a folder";
  if (err instanceof Deno.errors.FilesystemLoop) return "symlink loop";
  if (err instanceof Deno.errors.NotCapable) {
    return "Deno denied access (grant --allow-read for it)";
  }
  return err instanceof Error ? err.message : String(err);
}
