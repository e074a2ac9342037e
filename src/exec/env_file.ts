/**
 * `env_file:` of a job or task: a `KEY=VALUE` file read when the run (or the task) starts.
 * One variable per line; blank lines and lines starting with `#` are skipped, a leading
 * `export ` is dropped, spaces around the key and the value are trimmed, and one pair of
 * matching quotes (`"…"` or `'…'`) around the value is removed (nothing inside is expanded or
 * unescaped). Needs --allow-read for the file (and --allow-env for a `~/` path).
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEnvFile } from "./env_file.ts";
 *
 * const text = '# db\nexport DB_URL="postgres://db/app"\nTOKEN = s3cr3t\n\nEMPTY=\n';
 * assert.deepEqual(parseEnvFile(text, "app.env"), {
 *   DB_URL: "postgres://db/app",
 *   TOKEN: "s3cr3t",
 *   EMPTY: "",
 * });
 * ```
 *
 * @module
 */

import { join } from "node:path";

/**
 * The largest env file read, in bytes: a bigger file is refused rather than read into
 * memory (the environment of a process is limited to a few MiB anyway).
 *
 * @default {1048576}
 */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/** An env file that cannot be read or parsed; the message names the file. */
export class EnvFileError extends Error {
  /** The file as it was opened. */
  readonly path: string;

  /** Builds the error; `message` names the file and says why. */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EnvFileError";
    this.path = path;
  }
}

const NAME = /^[^=\0\s]+$/;

/** Parses the text of an env file (`file` names it in errors). Throws {@link EnvFileError}. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    let line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.startsWith("export ")) line = line.slice("export ".length).trimStart();
    const eq = line.indexOf("=");
    const name = eq === -1 ? "" : line.slice(0, eq).trim();
    if (!NAME.test(name)) {
      // The line is not quoted back: it may hold a secret.
      throw new EnvFileError(file, `env_file ${file}:${i + 1}: expected KEY=VALUE`);
    }
    const value = unquote(line.slice(eq + 1).trim());
    if (value.includes("\0")) {
      throw new EnvFileError(file, `env_file ${file}:${i + 1}: ${name} holds a NUL character`);
    }
    out[name] = value;
  });
  return out;
}

/**
 * Reads and parses the env file at `path` (`~/…` is in the home folder). Throws
 * {@link EnvFileError} naming the path when it is missing, unreadable, too big or malformed.
 */
export async function readEnvFile(path: string): Promise<Record<string, string>> {
  const file = path.startsWith("~/") ? join(Deno.env.get("HOME") ?? "/", path.slice(2)) : path;
  let text: string;
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) throw new Error("not a file");
    if (info.size > MAX_ENV_FILE_BYTES) {
      throw new Error(`${info.size} bytes, more than the ${MAX_ENV_FILE_BYTES} read`);
    }
    text = new TextDecoder().decode(await Deno.readFile(file));
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound
      ? "no such file"
      : err instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : err instanceof Error
      ? err.message
      : String(err);
    throw new EnvFileError(file, `cannot read env_file ${file}: ${reason}`, { cause: err });
  }
  return parseEnvFile(text, file);
}

/** A value without one pair of matching surrounding quotes. */
function unquote(value: string): string {
  const q = value[0];
  if (value.length >= 2 && (q === '"' || q === "'") && value.endsWith(q)) {
    return value.slice(1, -1);
  }
  return value;
}
