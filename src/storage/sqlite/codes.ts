/**
 * Telling SQLite failures apart by their result codes: a busy database, and which unique
 * constraint a write broke.
 *
 * @module
 */

/** `SQLITE_BUSY`: another connection holds the lock. */
const SQLITE_BUSY = 5;
/** `SQLITE_CONSTRAINT_UNIQUE`: a UNIQUE index refused a row. */
const SQLITE_CONSTRAINT_UNIQUE = 2067;
/** `SQLITE_CONSTRAINT_PRIMARYKEY`: a primary key refused a row. */
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

/** The (extended) result code node:sqlite attaches to its errors, if any. */
function errcode(err: unknown): number | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" ? code : undefined;
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** SQLite's primary result code: the low byte of an extended one. */
export function isBusy(err: unknown): boolean {
  return ((errcode(err) ?? 0) & 0xff) === SQLITE_BUSY;
}

/**
 * Whether `err` is a unique index on `column` (as SQLite names it, `table.column`) refusing
 * a row; with `orPrimaryKey`, a primary key on it counts too.
 */
export function isUniqueViolation(err: unknown, column: string, orPrimaryKey = false): boolean {
  const code = errcode(err);
  const unique = code === SQLITE_CONSTRAINT_UNIQUE ||
    (orPrimaryKey && code === SQLITE_CONSTRAINT_PRIMARYKEY);
  return unique && errorMessage(err).includes(column);
}
