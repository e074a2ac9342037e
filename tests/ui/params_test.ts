/**
 * Params in the web UI against a real `pt run`: Run now on a job with params opens their
 * form (labelled, prefilled with the defaults, help text, `pattern` and `required` on the
 * inputs), the browser blocks a missing required value, a value the API refuses shows its
 * 400 message in the form, and a run started from the form shows its params; a child run of
 * a sub-job task links its parent run. The form fits a phone's width and works by keyboard.
 *
 * @module
 */

import assert from "node:assert/strict";
import { waitUntil } from "../scenarios/helpers.ts";
import { openPage, scrollsSideways, uiTest } from "./helpers.ts";

const JOBS = {
  load_day: `
id: load_day
name: Load a day
params:
  day:
    description: the day to load
    pattern: "\\\\d{4}-\\\\d{2}-\\\\d{2}"
  mode: full
tasks:
  - id: load
    command: echo
    args: ["{{ params.day }}", "{{ params.mode }}"]
`,
  nightly: `
id: nightly
tasks:
  - id: child
    type: job
    job: load_day
    params: { day: "2026-01-02" }
`,
};

interface RunView {
  id: string;
  status: string;
  trigger: string;
  params: Record<string, string>;
  parent_run_id: string | null;
}

uiTest(
  "web UI: Run now asks for params; the run shows them",
  JOBS,
  async ({ browser, server, t }) => {
    const { page, unexpected, close } = await openPage(browser);
    const url = server.url;
    const dialog = page.locator("dialog.params");

    await t.step("job page: the params are listed; Run now opens their form", async () => {
      await page.goto(`${url}/jobs/load_day`);
      await page.locator(".facts dd", { hasText: "mode=full" }).waitFor();
      await page.getByRole("button", { name: "Run now" }).click();
      await dialog.waitFor();
      const day = dialog.getByLabel("day");
      const mode = dialog.getByLabel("mode");
      assert.equal(await day.inputValue(), "");
      assert.equal(await day.getAttribute("required"), "");
      assert.equal(await day.getAttribute("pattern"), "\\d{4}-\\d{2}-\\d{2}");
      assert.equal(await mode.inputValue(), "full");
      assert.equal(await mode.getAttribute("required"), null);
      await dialog.getByText("the day to load").waitFor();
      await dialog.getByText("(required)").waitFor();
      // The first field has the focus.
      assert.equal(await page.evaluate("document.activeElement?.name"), "day");
    });

    await t.step("a missing required value is blocked; what the API refuses shows", async () => {
      await dialog.getByRole("button", { name: "Run" }).click();
      assert.equal(await dialog.locator("input:invalid").count(), 1);
      assert.ok(await dialog.isVisible());
      // Past the browser's checks (an older browser, or a stale form), the API answers 400.
      await dialog.getByLabel("day").evaluate((el) => el.removeAttribute("required"));
      await dialog.getByRole("button", { name: "Run" }).click();
      await dialog.getByRole("alert").getByText(/needs a value for param "day"/).waitFor();
      assert.ok(await dialog.isVisible());
      const { runs } = await server.api<{ runs: RunView[] }>("/api/jobs/load_day/runs");
      assert.equal(runs.length, 0);
    });

    let id = "";
    await t.step("by keyboard: type the value, Enter runs; the run page shows it", async () => {
      await dialog.getByLabel("day").focus();
      await page.keyboard.type("2026-03-01");
      await page.keyboard.press("Enter");
      await page.getByText(/Started run .* of load_day/).waitFor();
      assert.equal(await dialog.count(), 0);
      id = (await page.locator("#notice a").textContent())!;
      await page.locator("#notice a").click();
      await page.waitForURL(`${url}/runs/${id}`);
      await page.locator(".facts dd code", { hasText: "day=2026-03-01" }).waitFor();
      await page.locator(".facts dd code", { hasText: "mode=full" }).waitFor();
      const run = await server.api<RunView>(`/api/runs/${id}`);
      assert.deepEqual(run.params, { day: "2026-03-01", mode: "full" });
    });

    await t.step("Escape closes the form without running", async () => {
      await page.goto(`${url}/`);
      await page.locator('tr[data-job="load_day"] button', { hasText: "Run now" }).click();
      await dialog.waitFor();
      await page.keyboard.press("Escape");
      await waitUntil("the form to close", async () => (await dialog.count()) === 0, 5000);
      const { runs } = await server.api<{ runs: RunView[] }>("/api/jobs/load_day/runs");
      assert.equal(runs.length, 1);
    });

    await t.step("a job without params still runs in one click", async () => {
      await page.locator('tr[data-job="nightly"] button', { hasText: "Run now" }).click();
      await page.getByText(/Started run .* of nightly/).waitFor();
      assert.equal(await dialog.count(), 0);
    });

    await t.step("a child run links its parent run", async () => {
      const parent = (await page.locator("#notice a").textContent())!;
      const child = await waitUntil("the child run", async () => {
        const { runs } = await server.api<{ runs: RunView[] }>("/api/jobs/load_day/runs");
        return runs.find((r) => r.parent_run_id === parent) ?? null;
      }, 20_000);
      await page.goto(`${url}/runs/${child.id}`);
      await page.locator(".facts dd", { hasText: "parent" }).first().waitFor();
      await page.locator(`.facts a[href="/runs/${parent}"]`).click();
      await page.waitForURL(`${url}/runs/${parent}`);
    });

    await t.step("phone (390 px): the form fits", async () => {
      const phone = await openPage(browser, 390, 844);
      try {
        await phone.page.goto(`${url}/jobs/load_day`);
        await phone.page.getByRole("button", { name: "Run now" }).click();
        const form = phone.page.locator("dialog.params");
        await form.waitFor();
        const box = await form.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, "the form is off screen");
        assert.equal(await scrollsSideways(phone.page), false);
        await phone.page.getByRole("button", { name: "Cancel" }).click();
        await waitUntil("the form to close", async () => (await form.count()) === 0, 5000);
        assert.deepEqual(phone.unexpected(), []);
      } finally {
        await phone.close();
      }
    });

    // The refused trigger (400) is logged by Chromium as a failed resource load.
    assert.deepEqual(unexpected(/status of 400/), []);
    await close();
  },
);
