/**
 * A parse worker: checks a share of a big jobs folder on another core. YAML parsing is
 * most of the cost of loading, and each file is independent of the others.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { analyzeJobFile } from "./loader.ts";

self.onmessage = (event: MessageEvent<{ file: string; text: string }[]>) => {
  self.postMessage(event.data.map(({ file, text }) => analyzeJobFile(file, text)));
};
