/**
 * A loaded folder as a sequence of messages, for loading in another thread (the parse
 * worker, `off_thread.ts`) or another process (`pt run`'s loader, `cli/run/`): each file's
 * outcome, a big job's tasks in slices of {@link TASKS_PER_MESSAGE}, then the end. The
 * receiver takes one message per turn of its event loop, so that decoding a 20,000-task file
 * never stalls it for long (bench/validate_big.ts). Plain data both ways; this module
 * imports nothing of the loader.
 *
 * @module
 */

import type { TaskSpec } from "../../core/model.ts";
import { JobsDirError } from "../errors.ts";
import type { SettledFile } from "./settled.ts";

/**
 * Tasks per message when a loaded folder is sent.
 *
 * @default {1000}
 */
export const TASKS_PER_MESSAGE = 1000;

/**
 * One message of a loaded folder: a file's outcome (a big job without its tasks, which
 * follow in slices), the end, or why the folder could not be listed.
 */
export type LoadMessage =
  | { readonly kind: "file"; readonly file: SettledFile }
  | { readonly kind: "tasks"; readonly index: number; readonly tasks: TaskSpec[] }
  | { readonly kind: "done" }
  | { readonly kind: "dirError"; readonly message: string };

/** The messages that send `settled`, in order, the last one `done`. */
export function toMessages(settled: readonly SettledFile[]): LoadMessage[] {
  const messages: LoadMessage[] = [];
  settled.forEach((file, index) => {
    const tasks = file.job?.tasks ?? [];
    if (tasks.length <= TASKS_PER_MESSAGE) {
      messages.push({ kind: "file", file });
      return;
    }
    messages.push({ kind: "file", file: { ...file, job: { ...file.job!, tasks: [] } } });
    for (let k = 0; k < tasks.length; k += TASKS_PER_MESSAGE) {
      messages.push({ kind: "tasks", index, tasks: tasks.slice(k, k + TASKS_PER_MESSAGE) });
    }
  });
  messages.push({ kind: "done" });
  return messages;
}

/** Puts the files of a loaded folder back together from its messages, in order. */
export class SettledAssembler {
  readonly #files: SettledFile[] = [];

  /**
   * Takes the next message; returns the files once `done` arrives, else null. Throws
   * JobsDirError for a folder that could not be listed.
   */
  add(message: LoadMessage): SettledFile[] | null {
    switch (message.kind) {
      case "file":
        this.#files.push(message.file);
        return null;
      case "tasks":
        (this.#files[message.index].job!.tasks as TaskSpec[]).push(...message.tasks);
        return null;
      case "done":
        return this.#files;
      case "dirError":
        throw new JobsDirError(message.message);
    }
  }
}
