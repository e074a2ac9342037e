/**
 * Keys from a terminal in raw mode: the bytes one read returns, as key names. Arrows,
 * Home/End and PageUp/PageDown arrive as escape sequences (`ESC [ A`, `ESC O A`, `ESC [ 5 ~`);
 * any other `ESC` is the Escape key. Pure: no I/O.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKeys } from "./keys.ts";
 *
 * assert.deepEqual(parseKeys(new TextEncoder().encode("j\x1b[Aq")), ["j", "up", "q"]);
 * ```
 *
 * @module
 */

/**
 * A key: a printable character as itself (`"q"`, `"?"`, `"G"`), or a name: `up`, `down`,
 * `left`, `right`, `home`, `end`, `pageup`, `pagedown`, `enter`, `escape`, `backspace`,
 * `tab`, `delete`, `ctrl-<letter>` (`ctrl-c`), or `unknown`.
 */
export type Key = string;

/** Final bytes of `ESC [ x` and `ESC O x` sequences. */
const FINAL: Readonly<Record<string, Key>> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
};

/** Numbers of `ESC [ n ~` sequences. */
const TILDE: Readonly<Record<string, Key>> = {
  "1": "home",
  "7": "home",
  "4": "end",
  "8": "end",
  "3": "delete",
  "5": "pageup",
  "6": "pagedown",
};

const decoder = new TextDecoder();

/** The keys in `bytes`, in order. */
export function parseKeys(bytes: Uint8Array): Key[] {
  const text = decoder.decode(bytes);
  const keys: Key[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\x1b") {
      const [key, used] = escape(text, i);
      keys.push(key);
      i += used;
      continue;
    }
    keys.push(control(c) ?? c);
    i += c.length;
  }
  return keys;
}

/** The key of the escape sequence at `text[at]` and how many characters it used. */
function escape(text: string, at: number): [Key, number] {
  const next = text[at + 1];
  if (next === undefined || next === "\x1b") return ["escape", 1];
  if (next === "[" || next === "O") {
    // Parameters (digits, `;`), then one final byte in @..~.
    let j = at + 2;
    while (j < text.length && /[0-9;?]/.test(text[j])) j++;
    if (j >= text.length) return ["unknown", j - at];
    const final = text[j];
    const params = text.slice(at + 2, j);
    const used = j - at + 1;
    if (final === "~") return [TILDE[params.split(";")[0]] ?? "unknown", used];
    return [FINAL[final] ?? "unknown", used];
  }
  // Anything else after ESC is a key of its own: Escape pressed just before it reaches us in
  // the same read (over SSH, often). Alt+key is not told apart from Esc, key.
  return ["escape", 1];
}

/** The name of a control character, or null for a printable one. */
function control(c: string): Key | null {
  if (c === "\r" || c === "\n") return "enter";
  if (c === "\t") return "tab";
  if (c === "\x7f" || c === "\b") return "backspace";
  const code = c.charCodeAt(0);
  if (code < 0x20) return `ctrl-${String.fromCharCode(code + 0x60)}`;
  if (code >= 0x80 && code < 0xa0) return "unknown";
  return null;
}
