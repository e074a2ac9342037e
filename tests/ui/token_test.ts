/**
 * A server with a token: the pages open without it, then ask for it once in a password form
 * (however many requests were refused), keep it for the tab, and ask again only when the
 * API refuses the one they have.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openPage, uiTest } from "./helpers.ts";

const TOKEN = "s3cret-token";

/** Counts the token forms a page shows (an init script, which the page's CSP does not cover). */
async function countForms(page: Page): Promise<void> {
  await page.addInitScript(`
    window.__forms = 0;
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        if (n.nodeName === "DIALOG") window.__forms++;
      }
    }).observe(document, { childList: true, subtree: true });
  `);
}

const forms = (page: Page) => page.evaluate("window.__forms") as Promise<number>;

uiTest("web UI: with a token, asks once, keeps it for the tab, asks again after a 401", {
  hello: 'id: hello\nname: Hello\ntasks:\n  - id: a\n    command: "true"\n',
}, async ({ browser, server, t }) => {
  const { page, unexpected, close } = await openPage(browser);
  await countForms(page);
  const password = page.locator("dialog input[type=password]");
  try {
    await t.step("the page opens without the token; the API behind it needs it", async () => {
      const shell = await fetch(`${server.url}/jobs/hello`);
      assert.equal(shell.status, 200);
      await shell.body?.cancel();
      const data = await fetch(`${server.url}/api/jobs`);
      assert.equal(data.status, 401);
      await data.body?.cancel();
    });

    await t.step("asks once, in a password field, then shows the data", async () => {
      await page.goto(`${server.url}/`);
      await password.waitFor();
      await page.getByText("needs its API token").waitFor();
      await page.waitForTimeout(300); // every first request has been refused by now
      assert.equal(await forms(page), 1);
      await password.fill(TOKEN);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("link", { name: "Hello" }).waitFor();
      await page.locator("#live", { hasText: "live" }).waitFor();
      assert.equal(await forms(page), 1);
      assert.equal(await page.evaluate(`sessionStorage.getItem("petit-token")`), TOKEN);
    });

    await t.step("keeps it for the tab: other pages and a reload do not ask", async () => {
      await page.getByRole("link", { name: "Hello" }).click();
      await page.locator("h1", { hasText: "Hello" }).waitFor();
      await page.reload();
      await page.locator("h1", { hasText: "Hello" }).waitFor();
      await page.waitForTimeout(300);
      assert.equal(await forms(page), 0);
      assert.equal(await password.count(), 0);
    });

    await t.step("a refused token (401) asks again, once", async () => {
      await page.evaluate(`sessionStorage.setItem("petit-token", "stale")`);
      await page.reload();
      await password.waitFor();
      await page.getByText("That token was refused").waitFor();
      await page.waitForTimeout(300);
      assert.equal(await forms(page), 1);
      await password.fill(TOKEN);
      await password.press("Enter");
      await page.locator("h1", { hasText: "Hello" }).waitFor();
      await page.locator("#live", { hasText: "live" }).waitFor();
      assert.equal(await forms(page), 1);
      assert.equal(await page.evaluate(`sessionStorage.getItem("petit-token")`), TOKEN);
    });
    // Chromium logs each refused request (401) as a failed resource load.
    assert.deepEqual(unexpected(/status of 401/), []);
  } finally {
    await close();
  }
}, { token: TOKEN });
