/**
 * Reading `/proc`, shared by process identity and process-group checks. Deno 2 guards
 * /proc behind full permissions: without --allow-all every read throws NotCapable. The
 * first refusal is remembered so callers degrade (null / kill(2)-only checks) cheaply.
 * Linux only.
 *
 * @module
 */

let procDenied = false;

/** Whether Deno has refused to read /proc (it requires --allow-all for that). */
export function isProcDenied(): boolean {
  return procDenied;
}

/** Remembers a NotCapable refusal so later calls skip /proc; other errors are ignored. */
export function noteProcError(e: unknown): void {
  if (e instanceof Deno.errors.NotCapable) procDenied = true;
}

/** Reads a /proc file; null if it is gone or Deno may not read /proc. */
export function readProc(path: string): string | null {
  if (procDenied) return null;
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    noteProcError(e);
    return null;
  }
}

/**
 * The fields of a `/proc/<pid>/stat` text from field 3 (state) on: `fields[0]` is field 3.
 * comm (field 2) may contain spaces and parentheses: fields resume after the last ")".
 */
export function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}
