/**
 * Testing jobs without waiting: the {@link TestHarness} (jobs on the real scheduler, time on
 * a {@link ManualClock}, tasks scripted or real) and the clock itself.
 *
 * - `harness.ts`: `TestHarness`
 * - `options.ts`: its settings (`TestHarnessOptions`) and their defaults
 * - `manual_clock.ts`: `ManualClock`, a `Clock` whose time passes when the test says so
 * - `scripts.ts`: how scripted attempts end (`AttemptScript`, `TaskScript`, `failTask()`'s
 *   options…)
 * - `attempts.ts`, `clocked_bus.ts`, `idle.ts`: the harness's attempts, event times and
 *   idle detection (internal)
 *
 * @module
 */

export { TestHarness } from "./harness.ts";
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_START,
  DEFAULT_UNTIL_IDLE_MS,
  type TestHarnessOptions,
} from "./options.ts";
export { ManualClock } from "./manual_clock.ts";
export type {
  AttemptScript,
  FailScript,
  FailTaskOptions,
  SucceedScript,
  SucceedTaskOptions,
  TaskScript,
  TimeoutScript,
  TimeoutTaskOptions,
} from "./scripts.ts";
