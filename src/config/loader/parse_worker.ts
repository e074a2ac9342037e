/**
 * A parse worker: checks a share of a big jobs folder on another core. YAML parsing is
 * most of the cost of loading, and each file is independent of the others. Files are
 * claimed one at a time from a counter shared with the other threads.
 *
 * Given `{ dir }` instead, it loads a whole folder (sharing a big one with workers of its
 * own) and sends the outcome in slices, the next on each `{ next }`: the scheduler reloads
 * this way, so that its thread stays free (`off_thread.ts`).
 *
 * Started by `files.ts` and `off_thread.ts` from its own URL; `deno compile` must
 * `--include` this file (deno.json's compile tasks do).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { analyzeClaimed } from "./files.ts";
import type { HostTable } from "./host_rules.ts";
import { type LoadMessage, loadMessages } from "./off_thread.ts";

type Request =
  | { files: string[]; counter: SharedArrayBuffer }
  | { dir: string; hosts?: HostTable }
  | { next: true };

let answer: LoadMessage[] = [];
let sent = 0;

self.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  if ("files" in request) {
    self.postMessage(analyzeClaimed(request.files, new Int32Array(request.counter)));
    return;
  }
  if ("dir" in request) {
    answer = await loadMessages(request.dir, request.hosts);
    sent = 0;
  }
  if (sent < answer.length) self.postMessage(answer[sent++]);
};
