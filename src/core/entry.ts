/**
 * Where `pt`'s entry module is, and so the modules it starts in another process or thread
 * (its loader process, parse workers). Two layouts run: the sources (`src/main.ts`) and the
 * bundle that `deno task bundle` writes (`dist/pt/main.js`, entries at the same paths under it
 * as under `src/`, with `.js`). Each module is found from the running entry, so both start
 * themselves alike; modules imported without the entry (tests, `mod.ts`) use the sources.
 *
 * @module
 */

let entry = new URL("../main.ts", import.meta.url);

/** Records the running entry module; `main.ts` calls it with its own `import.meta.url`. */
export function setEntryModule(url: string): void {
  entry = new URL(url);
}

/** The running entry module's URL. */
export function entryModule(): URL {
  return entry;
}

/**
 * The URL of an entry of `pt` in the running layout, by its path under `src/` without the
 * extension (`config/loader/parse_worker`).
 */
export function entryModuleOf(path: string): URL {
  const extension = entry.pathname.endsWith(".js") ? ".js" : ".ts";
  return new URL(`./${path}${extension}`, entry);
}
