/**
 * Reads the text of a job file. A file that is listed but cannot be read (a broken symlink,
 * a symlink to a folder or to itself, no permission) does not stop the folder from loading:
 * it becomes one error at `file:1:1`, `cannot read: …`, like any other invalid file.
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
  try {
    return { text: await Deno.readTextFile(file) };
  } catch (err) {
    return { error: unreadable(file, err) };
  }
}

/** {@link readJobText} for parse workers, which read one file at a time. */
export function readJobTextSync(file: string): JobText {
  try {
    return { text: Deno.readTextFileSync(file) };
  } catch (err) {
    return { error: unreadable(file, err) };
  }
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
