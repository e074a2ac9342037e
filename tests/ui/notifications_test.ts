/**
 * Notifications in the web UI against a real `pt run`: a run page open while the run ends
 * lists the notification sent for it (a `notify:` command that exits 0), and one whose
 * command fails, with its error.
 *
 * @module
 */

import assert from "node:assert/strict";
import { openPage, uiTest } from "./helpers.ts";

const JOBS = {
  told: `
id: told
notify:
  - on: [success]
    command: ["true"]
tasks:
  - id: work
    type: shell
    # Ends when the test says so: the page must be open before the run ends.
    script: 'while [ ! -f "$PETIT_TEST_DIR/go" ]; do sleep 0.05; done'
`,
  refused: `
id: refused
notify:
  - on: [success]
    command: ["false"]
tasks:
  - id: work
    command: sleep
    args: ["1"]
`,
};

uiTest(
  "web UI: the run page lists its notifications as they happen",
  JOBS,
  async ({ browser, server, t }) => {
    const { page, unexpected, close } = await openPage(browser);
    const notes = page.locator("ul.notifications li");

    await t.step("a notification sent while the page is open", async () => {
      const { run_id: id } = await server.api<{ run_id: string }>("/api/jobs/told/trigger", {
        method: "POST",
      });
      await page.goto(`${server.url}/runs/${id}`);
      await page.locator("h1", { hasText: id }).waitFor();
      assert.equal(await page.getByRole("heading", { name: "Notifications" }).isVisible(), false);
      await Deno.writeTextFile(`${server.sb.dir}/go`, "");
      await notes.first().waitFor({ timeout: 15_000 });
      assert.equal(await notes.count(), 1);
      const text = (await notes.first().textContent())!;
      assert.match(text, /sent/);
      assert.match(text, /command/);
      assert.match(text, /true/);
      await page.getByRole("heading", { name: "Notifications" }).waitFor();
    });

    await t.step("a failed one shows its error", async () => {
      const { run_id: id } = await server.api<{ run_id: string }>("/api/jobs/refused/trigger", {
        method: "POST",
      });
      await page.goto(`${server.url}/runs/${id}`);
      await page.locator("h1", { hasText: id }).waitFor();
      await notes.first().waitFor({ timeout: 15_000 });
      const text = (await notes.first().textContent())!;
      assert.match(text, /failed/);
      assert.match(text, /false/);
      assert.ok((await notes.first().locator(".bad").textContent())!.length > 0);
    });

    assert.deepEqual(unexpected(), []);
    await close();
  },
);
