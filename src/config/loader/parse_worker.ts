/**
 * A parse worker: checks a share of a big jobs folder on another core. YAML parsing is
 * most of the cost of loading, and each file is independent of the others. Files are
 * claimed one at a time from a counter shared with the other threads.
 *
 * Started by `files.ts` from its own URL; `deno compile` must `--include` this file
 * (deno.json's compile tasks do).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { analyzeClaimed } from "./files.ts";

self.onmessage = (event: MessageEvent<{ files: string[]; counter: SharedArrayBuffer }>) => {
  const { files, counter } = event.data;
  self.postMessage(analyzeClaimed(files, new Int32Array(counter)));
};
