/**
 * Which database a CLI command uses: `--db PATH`, else `PETIT_DB`, else the default file
 * under `$XDG_DATA_HOME/petit/`. `:memory:` keeps nothing.
 *
 * @module
 */

import { defaultDbPath, openStorage } from "../storage/sqlite.ts";
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

/** Opens the store, turning file problems into a clear usage error. */
export function openStore(path: string): Storage {
  try {
    return openStorage(path);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`cannot open database ${path}: ${message}`);
  }
}

/** The `--db` option's help text. */
export const DB_HELP = "SQLite database file, or :memory: (env PETIT_DB; default " +
  "$XDG_DATA_HOME/petit/petit.db)";
