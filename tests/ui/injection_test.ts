/**
 * Values from the API are text, never markup: a job whose name, description and output hold
 * quotes and HTML with event handlers shows those characters on every page, and nothing of
 * them runs (no dialog, no error, no global set, no element made from them).
 *
 * @module
 */

import assert from "node:assert/strict";
import { waitUntil } from "../scenarios/helpers.ts";
import { openPage, uiTest } from "./helpers.ts";

const NAME = `Evil "double" 'single' <img src=x onerror=alert(1)>`;
const DESCRIPTION = `<script>alert(2)</script><img src=x onerror="window.__pwned=1"> & </td>`;
const OUTPUT = `<img src=x onerror=alert(3)><b>bold?</b>`;

/** YAML double-quoted scalar. */
const q = (text: string) => JSON.stringify(text);

uiTest("web UI: names, descriptions and logs with HTML show as text and run nothing", {
  evil: `
id: evil
name: ${q(NAME)}
description: ${q(DESCRIPTION)}
tasks:
  - id: say
    type: shell
    script: ${q(`printf '%s\\n' '${OUTPUT}'; printf '%s\\n' '${OUTPUT}' >&2; exit 4`)}
`,
}, async ({ browser, server }) => {
  const { run_id: runId } = await server.api<{ run_id: string }>("/api/jobs/evil/trigger", {
    method: "POST",
  });
  await waitUntil("the run to fail", async () => {
    const run = await server.api<{ status: string }>(`/api/runs/${runId}`);
    return run.status === "failed";
  });
  const { page, unexpected, close } = await openPage(browser);
  try {
    const pages: [string, string[]][] = [
      ["/", [NAME, DESCRIPTION]],
      ["/jobs/evil", [NAME, DESCRIPTION]],
      [`/runs/${runId}?task=say`, [OUTPUT]],
    ];
    for (const [path, texts] of pages) {
      await page.goto(server.url + path);
      for (const text of texts) {
        await page.getByText(text, { exact: false }).first().waitFor({ timeout: 5000 });
      }
      if (path.startsWith("/runs/")) {
        await page.locator("pre.log", { hasText: OUTPUT }).waitFor();
        await page.locator("pre.log .err", { hasText: OUTPUT }).waitFor();
      }
      if (path === "/jobs/evil") assert.equal(await page.title(), `${NAME} · Petit`);
      assert.equal(await page.evaluate("typeof window.__pwned"), "undefined", path);
      assert.equal(await page.locator("main img, main script, main b").count(), 0, path);
    }
    assert.deepEqual(unexpected(), []);
  } finally {
    await close();
  }
});
