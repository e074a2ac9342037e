/**
 * The dashboard's loop with a fake screen and a fake source: what is read after a key or an
 * event, and that the screen is given back however the loop ends.
 */

import assert from "node:assert/strict";
import { ApiRequestError } from "../../src/api/client.ts";
import type { RunDetailView, RunView } from "../../src/core/views.ts";
import { runDashboard } from "../../src/tui/app.ts";
import type { Key } from "../../src/tui/keys.ts";
import type { JobRow } from "../../src/tui/model.ts";
import type { Size } from "../../src/tui/render.ts";
import type { LogFeed, LogUpdate, SourceListener, TuiSource } from "../../src/tui/source.ts";
import type { Screen } from "../../src/tui/terminal.ts";
import { waitUntil } from "../scenarios/helpers.ts";

class FakeScreen implements Screen {
  frames: string[][] = [];
  entered = 0;
  left = 0;
  stopped = 0;
  failDraw = false;
  #onKeys: (keys: Key[]) => void = () => {};
  #end: () => void = () => {};

  size(): Size {
    return { columns: 80, rows: 24 };
  }
  draw(lines: readonly string[]): void {
    if (this.failDraw) throw new Error("draw failed");
    this.frames.push([...lines]);
  }
  invalidate(): void {}
  enter(): void {
    this.entered++;
  }
  leave(): void {
    this.left++;
  }
  readKeys(onKeys: (keys: Key[]) => void): Promise<void> {
    this.#onKeys = onKeys;
    return new Promise((resolve) => (this.#end = resolve));
  }
  stopKeys(): Promise<void> {
    this.stopped++;
    this.#end();
    return Promise.resolve();
  }
  onResize(): () => void {
    return () => {};
  }
  press(...keys: Key[]): void {
    this.#onKeys(keys);
  }
  get text(): string {
    return (this.frames.at(-1) ?? []).join("\n");
  }
}

class FakeSource implements TuiSource {
  readonly kind = "remote";
  readonly label = "http://fake";
  jobCalls: (string[] | undefined)[] = [];
  listener: SourceListener | null = null;
  unwatched = false;
  triggerError: Error | null = null;

  jobs(changed?: ReadonlySet<string>): Promise<JobRow[]> {
    this.jobCalls.push(changed && [...changed]);
    return Promise.resolve([{ id: "a", job: null, last_run: null }]);
  }
  runs(): Promise<RunView[]> {
    return Promise.resolve([]);
  }
  run(): Promise<RunDetailView | null> {
    return Promise.resolve(null);
  }
  scheduler() {
    return Promise.resolve({ state: "running" as const, is_running: true, is_paused: false });
  }
  trigger(jobId: string): Promise<string> {
    return this.triggerError
      ? Promise.reject(this.triggerError)
      : Promise.resolve(`started ${jobId}`);
  }
  setPaused() {
    return Promise.resolve({ state: "paused" as const, is_running: true, is_paused: true });
  }
  watch(listener: SourceListener): () => void {
    this.listener = listener;
    return () => (this.unwatched = true);
  }
  followLogs(_r: string, _t: string, update: (u: LogUpdate) => void): LogFeed {
    update({ lines: [{ stream: "stdout", text: "hello" }], mode: "finished" });
    return { close: () => {} };
  }
  close(): void {}
}

Deno.test("runDashboard(): q quits with 0 and gives the screen back", async () => {
  const screen = new FakeScreen();
  const source = new FakeSource();
  const done = runDashboard(source, screen, { color: false });
  await waitUntil("the jobs", () => screen.text.includes(">a "));
  assert.match(screen.text, /scheduler running/);
  screen.press("q");
  assert.equal(await done, 0);
  assert.deepEqual([screen.entered, screen.left, screen.stopped], [1, 1, 1]);
  assert.ok(source.unwatched);
});

Deno.test("runDashboard(): an event reads again only the jobs it touched", async () => {
  const screen = new FakeScreen();
  const source = new FakeSource();
  const done = runDashboard(source, screen, { color: false });
  await waitUntil("the first read", () => source.jobCalls.length === 1);
  assert.deepEqual(source.jobCalls, [undefined]);
  source.listener!.events([{ type: "job_started", job_id: "a", run_id: "r", task_id: null }]);
  source.listener!.events([{ type: "task_started", job_id: "a", run_id: "r", task_id: "t" }]);
  await waitUntil("the second read", () => source.jobCalls.length === 2);
  assert.deepEqual(source.jobCalls[1], ["a"]);
  source.listener!.connection("live updates lost");
  await waitUntil("the problem shown", () => screen.text.includes("live updates lost"));
  assert.match(screen.frames.at(-1)![0], /offline/);
  screen.press("ctrl-c");
  assert.equal(await done, 0);
});

Deno.test("runDashboard(): a refused trigger is said on the message line", async () => {
  const screen = new FakeScreen();
  const source = new FakeSource();
  source.triggerError = new ApiRequestError(409, "CONFLICT", "dependency not met");
  const done = runDashboard(source, screen, { color: false });
  await waitUntil("the jobs", () => screen.text.includes(">a "));
  screen.press("t");
  await waitUntil("the refusal", () => screen.text.includes("refused: dependency not met"));
  source.triggerError = null;
  screen.press("t");
  await waitUntil("the start", () => screen.text.includes("started a"));
  screen.press("q");
  assert.equal(await done, 0);
});

Deno.test("runDashboard(): an error gives the screen back, then is thrown", async () => {
  const screen = new FakeScreen();
  const source = new FakeSource();
  const done = runDashboard(source, screen, { color: false });
  await waitUntil("the jobs", () => screen.text.includes(">a "));
  screen.failDraw = true;
  screen.press("j");
  await assert.rejects(done, /draw failed/);
  assert.equal(screen.left, 1);
  assert.ok(source.unwatched);
});
