/**
 * Private temporary folders of a `pt` process (mode 0700, as `Deno.makeTempDir` makes them),
 * removed when it exits: each `pt` would otherwise leave one behind in the temporary folder.
 *
 * @module
 */

/** Makes a private temporary folder named `<prefix>…`, removed when this process exits. */
export function privateTempDir(prefix: string): string {
  const dir = Deno.makeTempDirSync({ prefix });
  globalThis.addEventListener("unload", () => removeQuietly(dir));
  return dir;
}

/** Removes `path` and what it holds, if it can; a folder already gone is no error. */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch {
    // Already gone, or not ours to remove.
  }
}
