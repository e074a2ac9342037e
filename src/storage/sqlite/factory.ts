/**
 * Choosing and placing the store: the default database path, and {@link openStorage},
 * which picks the backend for a path.
 *
 * Needs `--allow-env` for {@link defaultDbPath} without an `env` function.
 *
 * @module
 */

import { InMemoryStorage } from "../memory.ts";
import type { Storage } from "../types.ts";
import { MEMORY_PATH } from "./connection.ts";
import { SqliteStorage, type SqliteStorageOptions } from "./storage.ts";

/**
 * Where Petit keeps its database by default: `$XDG_DATA_HOME/petit/petit.db`, else
 * `$HOME/.local/share/petit/petit.db`. `env` defaults to `Deno.env.get`.
 */
export function defaultDbPath(
  env: (k: string) => string | undefined = (k) => Deno.env.get(k),
): string {
  // The XDG spec says to ignore relative values.
  const xdg = env("XDG_DATA_HOME");
  if (xdg?.startsWith("/")) return `${xdg.replace(/\/+$/, "")}/petit/petit.db`;
  const home = env("HOME");
  if (!home) throw new Error("petit: neither XDG_DATA_HOME nor HOME is set; pass a database path");
  return `${home.replace(/\/+$/, "")}/.local/share/petit/petit.db`;
}

/**
 * An {@link InMemoryStorage} for `":memory:"`, else a {@link SqliteStorage} on `path` with
 * `options`.
 */
export function openStorage(path: string, options: SqliteStorageOptions = {}): Storage {
  return path === MEMORY_PATH ? new InMemoryStorage() : new SqliteStorage(path, options);
}
