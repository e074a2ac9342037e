/**
 * Live logs: the output of running attempts, readable while they run, served from the
 * captures of the process that runs them (the first 1 MiB of each stream, the part stored at
 * the attempt's end). No extra copy of the output is kept: readers take lines from the
 * captures with their own cursors. No I/O.
 *
 * - `lines.ts`: lines of captured bytes, read with a cursor
 * - `live_attempt.ts`: one running attempt (`LiveAttempt`) and its readers (`AttemptReader`)
 * - `live_logs.ts`: the running attempts by run and task (`LiveLogs`)
 *
 * @module
 */

export { type LineCursor, newCursor, takeLines } from "./lines.ts";
export {
  type AttemptEnd,
  AttemptReader,
  LiveAttempt,
  type OutputLine,
  type OutputStream,
} from "./live_attempt.ts";
export { LiveLogs } from "./live_logs.ts";
