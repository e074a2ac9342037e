/**
 * Deno's cache folder of this test run, for a `pt` started with a sandbox's HOME.
 *
 * @module
 */

/**
 * Deno's cache folder of this test run. The sandbox's HOME must not move it: an empty cache
 * makes `pt` transpile every module (and fetch the npm packages) while it starts, which
 * leaves it ~20 MiB bigger for the rest of its life, as no user's `pt` is.
 */
export function denoDir(): string {
  const home = Deno.env.get("HOME") ?? "/root";
  return Deno.env.get("DENO_DIR") ??
    `${Deno.env.get("XDG_CACHE_HOME") || `${home}/.cache`}/deno`;
}
