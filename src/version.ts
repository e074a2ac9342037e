/**
 * Petit's version, read from deno.json so there is one place to bump it.
 *
 * @module
 */

import meta from "../deno.json" with { type: "json" };

/** The version of this Petit build. */
export const VERSION: string = meta.version;
