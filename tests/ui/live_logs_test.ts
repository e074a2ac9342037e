/**
 * A running task's output on its run's page: each line within a second of being printed,
 * from the API's follow stream (`…/logs?follow=true`), while the task runs; the view keeps
 * its scroll position unless it is at the bottom. Against a server without that stream (a
 * 400, simulated here by answering the browser's request), the page degrades to the plain
 * logs route, reloaded by the attempt's `task_completed` event (no polling, no reload).
 *
 * @module
 */

import assert from "node:assert/strict";
import { waitUntil } from "../scenarios/helpers.ts";
import { openPage, type UiServer, uiTest } from "./helpers.ts";
import { scaled } from "../time_scale.ts";

/** The task waits for files in its folder: `go`, then `more`, then `stop`. */
const TAIL = (name: string) => `
id: ${name}
tasks:
  - id: talk
    type: shell
    script: |
      wait_for() { while [ ! -f "$PETIT_TEST_DIR/${name}-$1" ]; do sleep 0.05; done; }
      echo started
      wait_for go
      echo "marker after go"
      echo "to stderr" >&2
      i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done
      wait_for more
      i=0; while [ $i -lt 50 ]; do echo "more $i"; i=$((i+1)); done
      wait_for stop
      echo finished
`;

const flag = (server: UiServer, job: string, name: string) =>
  Deno.writeTextFile(`${server.sb.dir}/${job}-${name}`, "");

async function trigger(server: UiServer, job: string): Promise<string> {
  return (await server.api<{ run_id: string }>(`/api/jobs/${job}/trigger`, { method: "POST" }))
    .run_id;
}

async function status(server: UiServer, runId: string): Promise<string> {
  return (await server.api<{ status: string }>(`/api/runs/${runId}`)).status;
}

uiTest("web UI: a running task's log lines appear live on its run's page", {
  live: TAIL("live"),
  plain: TAIL("plain"),
}, async ({ browser, server, t }) => {
  const { page, unexpected, close } = await openPage(browser);
  const log = page.locator("pre.log");
  const scroll = () =>
    page.evaluate(`(() => { const e = document.querySelector("pre.log");
      return { top: e.scrollTop, bottom: e.scrollHeight - e.scrollTop - e.clientHeight }; })()`) as Promise<
      { top: number; bottom: number }
    >;
  try {
    await t.step("follow stream: a line within a second of being printed", async () => {
      const runId = await trigger(server, "live");
      await page.goto(`${server.url}/runs/${runId}?task=talk`);
      await log.filter({ hasText: "started" }).waitFor({ timeout: scaled(3000) });
      await page.getByText("Live: following").waitFor();
      const go = performance.now();
      await flag(server, "live", "go");
      await log.filter({ hasText: "marker after go" }).waitFor({ timeout: scaled(1000) });
      await page.locator("pre.log .err", { hasText: "to stderr" }).waitFor({
        timeout: scaled(1000),
      });
      await log.filter({ hasText: "line 199" }).waitFor({ timeout: scaled(1000) });
      const ms = performance.now() - go;
      assert.ok(ms < scaled(1000), `the lines took ${ms} ms`);
      assert.equal(await status(server, runId), "running", "shown while the task runs");

      // Scrolled up: new lines leave the view where it is.
      assert.ok((await scroll()).bottom < 8, "it followed the lines to the bottom");
      await page.evaluate(`document.querySelector("pre.log").scrollTop = 100`);
      await flag(server, "live", "more");
      await log.filter({ hasText: "more 49" }).waitFor({ timeout: 1000 });
      assert.equal((await scroll()).top, 100, "the scroll position is kept");
      // Back at the bottom: it follows again, through the end of the attempt.
      await page.evaluate(`(() => { const e = document.querySelector("pre.log");
        e.scrollTop = e.scrollHeight; })()`);
      await flag(server, "live", "stop");
      await log.filter({ hasText: "finished" }).waitFor({ timeout: 3000 });
      await page.locator(".facts .badge", { hasText: "completed" }).waitFor();
      await page.waitForTimeout(200);
      assert.ok((await scroll()).bottom < 8, "still at the bottom");
    });

    await t.step("no follow stream (400): the plain logs, reloaded by events", async () => {
      let refused = 0;
      await page.route(/\/logs\?follow=true/, (route) => {
        refused++;
        return route.fulfill({
          status: 400,
          contentType: "application/json",
          body: JSON.stringify({ error: "unknown parameter follow", code: "BAD_REQUEST" }),
        });
      });
      const runId = await trigger(server, "plain");
      await page.goto(`${server.url}/runs/${runId}?task=talk`);
      await page.locator(".facts .badge", { hasText: "running" }).waitFor();
      await page.locator(".log-note", { hasText: "running" }).waitFor();
      const navigations: string[] = [];
      page.on("framenavigated", (f) => navigations.push(f.url()));
      for (const name of ["go", "more", "stop"]) await flag(server, "plain", name);
      await log.filter({ hasText: "finished" }).waitFor({ timeout: 3000 });
      await log.filter({ hasText: "marker after go" }).waitFor();
      await page.locator(".facts .badge", { hasText: "completed" }).waitFor();
      assert.deepEqual(navigations, [], "no reload");
      assert.ok(refused >= 1);
      await waitUntil("the run's end", async () => (await status(server, runId)) === "completed");
      await page.unroute(/\/logs\?follow=true/);
    });
    assert.deepEqual(unexpected(/status of 400/), []);
  } finally {
    await close();
  }
});
