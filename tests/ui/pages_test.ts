/**
 * The web UI's pages in headless Chromium against a real `pt run`: each loads from its own
 * URL (and again after a reload) and shows what it should, the back button works, the
 * actions act (Run now, Run anyway after a dependency refusal, Enable/Disable, Pause/Resume,
 * Cancel, Retry), lists filter and page, live events update the pages without polling, and a
 * phone-width (390 px) page never scrolls sideways. Screenshots: see `helpers.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { waitUntil } from "../scenarios/helpers.ts";
import { openPage, screenshot, scrollsSideways, type UiServer, uiTest } from "./helpers.ts";

const JOBS = {
  pipeline: `
id: pipeline
name: Nightly pipeline
description: Extracts the day's data, checks and loads it, then sends the report.
schedule: "*/5 * * * *"
tasks:
  - id: extract
    type: shell
    script: "echo extracted 42 rows; echo warming up >&2; sleep 0.3"
  - id: transform
    depends_on: [extract]
    type: shell
    script: "echo transformed; sleep 0.2"
  - id: validate
    depends_on: [extract]
    type: shell
    # Fails the first time it ever runs, then succeeds: a retry to show.
    script: |
      if [ -f "$PETIT_TEST_DIR/validated" ]; then echo valid; else
        touch "$PETIT_TEST_DIR/validated"; echo "checksum mismatch" >&2; exit 1; fi
    retry: { max_attempts: 2, delay: 300ms }
  - id: load
    depends_on: [transform, validate]
    command: echo
    args: [loaded]
  - id: report
    depends_on: [load]
    command: echo
    args: [report sent]
`,
  quick: `
id: quick
name: Quick
schedule: "@every 1h"
tasks:
  - id: ok
    command: "true"
`,
  slow: `
id: slow
tasks:
  - id: wait
    command: sleep
    args: ["30"]
`,
  ticker: `
id: ticker
name: Ticker
enabled: false
schedule: "* * * * * *"
max_concurrency: 1
tasks:
  - id: tick
    command: sleep
    args: ["1.2"]
`,
  upstream: `
id: upstream
schedule: "0 9 * * 1-5"
tasks:
  - id: nope
    command: "false"
`,
  dependent: `
id: dependent
depends_on: [upstream]
tasks:
  - id: work
    command: "true"
`,
};

/** Waits for visible text on the page. */
async function sees(page: Page, text: string | RegExp, timeout = 5000): Promise<void> {
  await page.getByText(text).first().waitFor({ state: "visible", timeout });
}

/** Waits for `text` in the log view. */
async function logShows(page: Page, text: string): Promise<void> {
  await page.locator("pre.log", { hasText: text }).waitFor({ timeout: 5000 });
}

/** Waits until `selector` matches `n` elements (or at least `n` with `atLeast`). */
async function count(page: Page, selector: string, n: number, atLeast = false): Promise<void> {
  let have = 0;
  try {
    await waitUntil(
      `${atLeast ? "at least " : ""}${n} × ${selector} on ${page.url()}`,
      async () => {
        have = await page.locator(selector).count();
        return atLeast ? have >= n : have === n;
      },
      10_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (saw ${have})`);
  }
}

interface Run {
  id: string;
  status: string;
}

/** Waits until run `id` has ended; returns it. */
function finished(server: UiServer, id: string): Promise<Run> {
  return waitUntil(`run ${id} to end`, async () => {
    const run = await server.api<Run>(`/api/runs/${id}`);
    return run.status !== "running" && run;
  }, 20_000);
}

uiTest("web UI: every page from its URL, its actions, live updates and a phone's width", {
  ...JOBS,
}, async ({ browser, server, t }) => {
  const { page, unexpected, close } = await openPage(browser);
  const url = server.url;
  let firstRun = "";

  await t.step("overview: every job with its schedule in words and as written", async () => {
    await page.goto(`${url}/`);
    await page.locator("h1", { hasText: "Jobs" }).waitFor();
    await sees(page, "Nightly pipeline");
    await sees(page, "every 5 minutes");
    await sees(page, "*/5 * * * *");
    await sees(page, "at 09:00 on weekdays");
    await sees(page, "manual only");
    await count(page, "tbody tr[data-job]", 6);
    assert.equal(await page.locator(".scheduler .badge").textContent(), "running");
  });

  await t.step("overview: Run now starts a run; its cell and row come live", async () => {
    await page.locator('tr[data-job="pipeline"] button', { hasText: "Run now" }).click();
    await sees(page, /Started run .* of pipeline/);
    firstRun = (await page.locator("#notice a").textContent())!;
    await finished(server, firstRun);
    await count(page, 'tr[data-job="pipeline"] .strip a.cell.st-completed', 1);
    await count(page, `tr[data-run="${firstRun}"]`, 1);
    await sees(page, "completed");
  });

  await t.step("job page: DAG with a node per task, next fires, durations, runs", async () => {
    await page.getByRole("link", { name: "Nightly pipeline" }).click();
    await page.waitForURL(`${url}/jobs/pipeline`);
    await page.locator("h1", { hasText: "Nightly pipeline" }).waitFor();
    await sees(page, "Extracts the day's data");
    await count(page, "svg.dag .node", 5);
    await count(page, "svg.dag .edge", 5);
    for (const task of ["extract", "transform", "validate", "load", "report"]) {
      await count(page, `svg.dag .node[data-task="${task}"]`, 1);
    }
    await count(page, "ol.times li", 5);
    await count(page, "svg.bars rect", 1);
    await count(page, `tr[data-run="${firstRun}"]`, 1);
    await sees(page, "No skipped slots.");
  });

  await t.step("run page: coloured DAG, timeline with the retry, tasks, logs", async () => {
    await page.locator(`tr[data-run="${firstRun}"] a`).first().click();
    await page.waitForURL(`${url}/runs/${firstRun}`);
    await page.locator("h1", { hasText: `Run ${firstRun}` }).waitFor();
    await count(page, "svg.dag .node.st-completed", 5);
    await count(page, ".gantt-row .track", 5);
    // validate failed once and was retried: two bars, the first failed.
    await count(page, '.gantt .bar[href*="task=validate"]', 2);
    await count(page, '.gantt .bar.st-failed[href*="task=validate"]', 1);
    await count(page, "table.tasks tbody tr", 5);
    await page.getByRole("link", { name: "extract", exact: true }).first().click();
    await logShows(page, "extracted 42 rows");
    await logShows(page, "warming up");
    await page.locator('table.tasks a[href$="task=validate"]').click();
    await page.waitForURL(/task=validate/);
    await page.locator("select[name=attempt]").selectOption("1");
    await logShows(page, "checksum mismatch");
    await sees(page, "Attempt 1 of 2: exit 1");
    await page.locator("select[name=attempt]").selectOption("2");
    await logShows(page, "valid");
    assert.match(page.url(), /task=validate&attempt=2/);
  });

  await t.step("a reload keeps the page; the back button goes back", async () => {
    await page.reload();
    await page.locator("h1", { hasText: `Run ${firstRun}` }).waitFor();
    await logShows(page, "valid");
    await page.goBack();
    await page.locator("h1", { hasText: "Nightly pipeline" }).waitFor();
    await page.goBack();
    await page.locator("h1", { hasText: "Jobs" }).waitFor();
    await page.goForward();
    await page.locator("h1", { hasText: "Nightly pipeline" }).waitFor();
    await page.goto(`${url}/jobs/pipeline`); // a bookmark
    await page.locator("h1", { hasText: "Nightly pipeline" }).waitFor();
  });

  await t.step("job page: a dependency refusal offers Run anyway, which forces it", async () => {
    await page.goto(`${url}/jobs/dependent`);
    await page.getByRole("button", { name: "Run now" }).click();
    await sees(page, /dependency "upstream"/);
    await page.getByRole("button", { name: "Run anyway" }).click();
    await sees(page, /Started run .* of dependent/);
  });

  await t.step("run page: Cancel while running, then Retry opens the new run", async () => {
    const { run_id: id } = await server.api<{ run_id: string }>("/api/jobs/slow/trigger", {
      method: "POST",
    });
    await page.goto(`${url}/runs/${id}`);
    await count(page, "svg.dag .node.st-running", 1);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.locator(".facts .badge", { hasText: "cancelled" }).waitFor();
    await page.getByRole("button", { name: "Retry" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/runs/") && !u.pathname.endsWith(id));
    const retry = new URL(page.url()).pathname.split("/").pop()!;
    await sees(page, id); // "Retry of" links the first run
    await server.api(`/api/runs/${retry}/cancel`, { method: "POST" });
    await finished(server, retry);
  });

  await t.step("overview: filter by status and job, page with next_cursor", async () => {
    await server.api("/api/jobs/upstream/trigger", { method: "POST" });
    const ids: string[] = [];
    for (let i = 0; i < 22; i++) {
      ids.push(
        (await server.api<{ run_id: string }>("/api/jobs/quick/trigger", {
          method: "POST",
        })).run_id,
      );
    }
    for (const id of ids) await finished(server, id);
    await page.goto(`${url}/`);
    await page.locator("select[name=status]").selectOption("failed");
    await count(page, "table.runs tbody tr", 1);
    await sees(page, "upstream");
    await page.locator("select[name=status]").selectOption("");
    await page.locator("select[name=job]").selectOption("quick");
    await count(page, "table.runs tbody tr", 20);
    await page.getByRole("button", { name: "Older →" }).click();
    await count(page, "table.runs tbody tr", 2);
    await page.getByRole("button", { name: "← Newer" }).click();
    await count(page, "table.runs tbody tr", 20);
    assert.match(page.url(), /job=quick/);
    await page.reload();
    await count(page, "table.runs tbody tr", 20);
    assert.equal(await page.locator("select[name=job]").inputValue(), "quick");
  });

  await t.step("overview: Disable/Enable and Pause/Resume", async () => {
    const row = page.locator('tr[data-job="quick"]');
    await row.getByRole("button", { name: "Disable" }).click();
    await row.getByText("disabled").waitFor();
    await row.getByRole("button", { name: "Enable" }).click();
    await row.getByRole("button", { name: "Disable" }).waitFor();
    await page.getByRole("button", { name: "Pause" }).click();
    await page.locator(".scheduler .badge", { hasText: "paused" }).waitFor();
    await page.getByRole("button", { name: "Resume" }).click();
    await page.locator(".scheduler .badge", { hasText: "running" }).waitFor();
  });

  await t.step("keyboard: links are links, buttons are buttons", async () => {
    const stray = await page.locator("[onclick], a:not([href]), [role=button]").count();
    assert.equal(stray, 0);
    await page.locator('a[href="/jobs/pipeline"]').first().focus();
    await page.keyboard.press("Enter");
    await page.locator("h1", { hasText: "Nightly pipeline" }).waitFor();
  });

  await t.step("live: a page updates from events and never polls", async () => {
    await page.goto(`${url}/`);
    await count(page, 'tr[data-job="quick"] .strip a.cell', 20);
    await page.waitForTimeout(500);
    const requests: string[] = [];
    const onRequest = (r: { url(): string }) => requests.push(r.url());
    page.on("request", onRequest);
    await page.waitForTimeout(2500);
    assert.deepEqual(requests, [], "requests while idle");
    await server.api("/api/jobs/dependent/trigger", {
      method: "POST",
      body: JSON.stringify({ force: true }),
    });
    await count(page, 'tr[data-job="dependent"] .strip a.cell', 2);
    page.off("request", onRequest);
    assert.ok(requests.length > 0, "the event brought a reload");
    assert.ok(requests.every((r) => new URL(r).pathname.startsWith("/api/")), String(requests));
  });

  await t.step("job page: skipped slots with their reasons", async () => {
    await page.goto(`${url}/jobs/ticker`);
    await sees(page, "No skipped slots.");
    await server.api("/api/jobs/ticker/enable", { method: "POST" });
    await page.locator("table td", { hasText: "overlap" }).first().waitFor({ timeout: 5000 });
    await server.api("/api/jobs/ticker/disable", { method: "POST" });
    await sees(page, "every second");
    await count(page, "svg.bars rect", 1, true);
  });

  await t.step("screenshots at 1280 px", async () => {
    for (let i = 0; i < 3; i++) {
      const { run_id: id } = await server.api<{ run_id: string }>("/api/jobs/pipeline/trigger", {
        method: "POST",
      });
      await finished(server, id);
    }
    await page.goto(`${url}/jobs/pipeline`);
    // At least: the job's */5 schedule may fire while the suite runs.
    await count(page, "svg.bars rect", 4, true);
    await screenshot(page, "ui-job-1280");
    await page.goto(`${url}/`);
    await count(page, 'tr[data-job="pipeline"] .strip a.cell', 1, true);
    await screenshot(page, "ui-overview-1280");
    await page.goto(`${url}/runs/${firstRun}?task=validate&attempt=1`);
    await logShows(page, "checksum mismatch");
    await screenshot(page, "ui-run-1280");
  });

  await t.step("phone (390 px): no sideways scrolling, every action in reach", async () => {
    const phone = await openPage(browser, 390, 844);
    try {
      const pages: [string, string, string][] = [
        ["/", "Jobs", "ui-overview-390"],
        ["/jobs/pipeline", "Nightly pipeline", "ui-job-390"],
        [`/runs/${firstRun}?task=validate&attempt=1`, `Run ${firstRun}`, "ui-run-390"],
      ];
      for (const [path, heading, shot] of pages) {
        await phone.page.goto(url + path);
        await phone.page.locator("h1", { hasText: heading }).waitFor();
        await phone.page.locator("svg.dag, .strip").first().waitFor();
        await phone.page.waitForTimeout(300);
        assert.equal(await scrollsSideways(phone.page), false, `${path} scrolls sideways`);
        for (const button of await phone.page.locator("main button").all()) {
          const box = await button.boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${path}: a button off screen`);
        }
        await screenshot(phone.page, shot);
      }
      assert.deepEqual(phone.unexpected(), []);
    } finally {
      await phone.close();
    }
  });

  // A refused trigger (409) is logged by Chromium as a failed resource load.
  assert.deepEqual(unexpected(/status of 409/), []);
  await close();
});
