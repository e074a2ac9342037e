/**
 * The firing engine's fake clock now lives in the library as `ManualClock`
 * (`src/testing/manual_clock.ts`), the one fake clock of Petit's tests and of `TestHarness`;
 * this name is kept for existing imports.
 *
 * @module
 */

export { ManualClock as FakeClock } from "../../src/testing/manual_clock.ts";
