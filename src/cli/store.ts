/**
 * Which database a CLI command uses: `--db PATH`, else `PETIT_DB`, else the default file
 * under `$XDG_DATA_HOME/petit/`. `:memory:` keeps nothing.
 *
 * Only the default location's folders are created: a path the user gave must be in an
 * existing folder. Commands that read runs (or retry one) create nothing at all: for them a
 * missing database is a usage error.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { defaultDbPath, openStorage } from "../storage/sqlite/mod.ts";
import type { Storage } from "../storage/types.ts";
import { UsageError } from "./output.ts";

/** Resolves the database path from the flag, the environment, or the default. */
export function dbPath(flag: string | undefined, fromConfig?: string | null): string {
  const chosen = flag ?? Deno.env.get("PETIT_DB") ?? fromConfig;
  if (chosen !== undefined && chosen !== null) return chosen;
  try {
    return defaultDbPath((k) => Deno.env.get(k));
  } catch (err) {
    throw new UsageError(
      `${(err as Error).message.replace(/^petit: /, "")} (--db PATH or PETIT_DB)`,
    );
  }
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * The database must exist already, as for commands that read runs (`runs`, `show`,
   * `logs`, `why`, `status`) or retry one: a missing file is a usage error and nothing is
   * created. Otherwise (`run`, `trigger`) a new database may be started.
   *
   * @default {false}
   */
  existing?: boolean;
}

/** Opens the store, turning file problems into a clear usage error. */
export function openStore(path: string, options: OpenStoreOptions = {}): Storage {
  const existing = options.existing ?? false;
  if (path !== ":memory:") checkPath(path, existing);
  try {
    return openStorage(path, { create: !existing });
  } catch (err) {
    if (existing && err instanceof Deno.errors.NotFound) throw new UsageError(noDatabase(path));
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`cannot open database ${path}: ${message}`);
  }
}

/** Refuses, before SQLite would create anything, a path that cannot or must not be used. */
function checkPath(path: string, existing: boolean): void {
  const info = stat(path, path);
  if (info?.isDirectory) throw new UsageError(`${path} is a folder; --db needs a database file`);
  if (info) return;
  if (existing) throw new UsageError(noDatabase(path));
  if (isDefaultPath(path)) return; // Its folders are created with the database.
  const dir = dirname(resolve(path));
  if (!stat(dir, path)?.isDirectory) {
    throw new UsageError(
      `database folder not found: ${dir} (create it first, or fix the path given in --db, ` +
        "PETIT_DB or the config file)",
    );
  }
}

function noDatabase(path: string): string {
  return `no database at ${path} (pt run or pt trigger creates it; check --db and PETIT_DB)`;
}

function isDefaultPath(path: string): boolean {
  try {
    return resolve(path) === resolve(defaultDbPath((k) => Deno.env.get(k)));
  } catch {
    return false; // No HOME: there is no default location.
  }
}

/** What is at `path` (the database `db` or its folder), or null when nothing is. */
function stat(path: string, db: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw new UsageError(`cannot open database ${db}: ${(err as Error).message}`);
  }
}

/** The `--db` option's help text. */
export const DB_HELP = "SQLite database file, or :memory: (env PETIT_DB; default " +
  "$XDG_DATA_HOME/petit/petit.db)";
