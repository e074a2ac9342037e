/**
 * The files of a jobs folder: lists them, reads them and analyzes each, sharing big folders
 * with parse workers (`parse_worker.ts`) that claim files from a counter shared by every
 * thread. A file that cannot be read is one positioned error, not a failed load.
 *
 * Needs `--allow-read` for the jobs folder. `deno compile` must `--include` the worker
 * (`src/config/loader/parse_worker.ts`, see deno.json's compile tasks).
 *
 * @module
 */

import { entryModuleOf } from "../../core/entry.ts";
import { join } from "node:path";
import { JobsDirError } from "../errors.ts";
import { readJobText, readJobTextSync } from "../read_job_file.ts";
import { type AnalyzedFile, analyzeRead } from "./analysis.ts";

/** Lists the job files of a folder, sorted by name. Throws JobsDirError when unreadable. */
export async function listJobFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if ((entry.isFile || entry.isSymlink) && /\.ya?ml$/i.test(entry.name)) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new JobsDirError(`jobs folder not found: ${dir}`);
    }
    if (err instanceof Deno.errors.NotADirectory) {
      throw new JobsDirError(`not a folder: ${dir} (give the folder that holds the job files)`);
    }
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      throw new JobsDirError(`no permission to read the jobs folder: ${dir}`);
    }
    throw err;
  }
  names.sort();
  return names.map((name) => join(dir, name));
}

/** The parse worker's module, started once per extra core for big folders. */
export function parseWorkerUrl(): URL {
  return entryModuleOf("config/loader/parse_worker");
}

/** Below this many files a worker costs more to start than it saves. */
const PARALLEL_FROM = 200;

/**
 * Threads that analyze a big folder: this one and a parse worker per extra core, up to this.
 *
 * @default {4}
 */
const MAX_THREADS = 4;

/**
 * Reads and analyzes files. Big folders are shared with parse workers (one per extra core,
 * at most 3): every thread claims the next file from a shared counter, so a worker that
 * starts late simply takes fewer files. Falls back to this thread alone if workers fail.
 * A file that cannot be read is one error in the list (both ways), not a failed load.
 */
export async function analyzeFiles(files: string[]): Promise<AnalyzedFile[]> {
  const cores = Math.min(navigator.hardwareConcurrency ?? 1, MAX_THREADS);
  if (files.length < PARALLEL_FROM || cores < 2) {
    const texts = await Promise.all(files.map(readJobText));
    return files.map((file, i) => analyzeRead(file, texts[i]));
  }
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const results: AnalyzedFile[] = new Array(files.length);
  const workers: Worker[] = [];
  try {
    const remote = Array.from({ length: cores - 1 }, () => {
      const worker = new Worker(parseWorkerUrl().href, {
        type: "module",
      });
      workers.push(worker);
      return new Promise<void>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<[number, AnalyzedFile][]>) => {
          for (const [i, result] of e.data) results[i] = result;
          resolve();
        };
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
        worker.postMessage({ files, counter: counter.buffer });
      });
    });
    for (const [i, result] of analyzeClaimed(files, counter)) results[i] = result;
    await Promise.all(remote);
    return results;
  } catch {
    return files.map((file) => analyzeRead(file, readJobTextSync(file)));
  } finally {
    for (const w of workers) w.terminate();
  }
}

/** Claims files one by one from the shared counter and analyzes them. */
export function analyzeClaimed(files: string[], counter: Int32Array): [number, AnalyzedFile][] {
  const out: [number, AnalyzedFile][] = [];
  for (;;) {
    const i = Atomics.add(counter, 0, 1);
    if (i >= files.length) return out;
    out.push([i, analyzeRead(files[i], readJobTextSync(files[i]))]);
  }
}
