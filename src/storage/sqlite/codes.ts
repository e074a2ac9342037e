/**
 * Telling SQLite failures apart by their result codes: a busy database, a full disk, and
 * which unique constraint a write broke.
 *
 * @module
 */

/** `SQLITE_BUSY`: another connection holds the lock. */
const SQLITE_BUSY = 5;
/** `SQLITE_IOERR`: the operating system reported an I/O error (primary code). */
const SQLITE_IOERR = 10;
/** `SQLITE_FULL`: the disk is full, or the file reached `max_page_count`. */
const SQLITE_FULL = 13;
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
 * Whether `err` is the disk refusing a write (`SQLITE_FULL`, `SQLITE_IOERR…`): the kind of
 * failure that goes away when space comes back, and after which SQLite may have rolled the
 * whole transaction back.
 */
export function isStorageFailure(err: unknown): boolean {
  const primary = (errcode(err) ?? 0) & 0xff;
  return primary === SQLITE_FULL || primary === SQLITE_IOERR ||
    /database or disk is full|disk I\/O error/.test(errorMessage(err));
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
