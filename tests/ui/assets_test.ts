/**
 * The web UI's files: every file of `src/ui/web/` is embedded and served (and nothing else),
 * the whole weighs less than its budget, and no file builds HTML from strings or runs inline
 * code, so the Content-Security-Policy holds.
 *
 * @module
 */

import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { PAGE_WEIGHT_BUDGET, SHELL, UI_ASSETS } from "../../src/ui/assets.ts";

const WEB = fileURLToPath(new URL("../../src/ui/web/", import.meta.url));

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await filesUnder(path));
    else out.push(relative(WEB, path));
  }
  return out.sort();
}

Deno.test("UI_ASSETS: every file of src/ui/web/ is served, as it is", async () => {
  const files = (await filesUnder(WEB)).filter((f) => f !== "index.html");
  assert.deepEqual([...UI_ASSETS.keys()].sort(), files);
  for (const [name, asset] of UI_ASSETS) {
    assert.equal(asset.body, await Deno.readTextFile(`${WEB}/${name}`), name);
  }
  assert.equal(SHELL.body, await Deno.readTextFile(`${WEB}/index.html`));
});

Deno.test("UI_ASSETS: the page weighs less than PAGE_WEIGHT_BUDGET", () => {
  const bytes = (text: string) => new TextEncoder().encode(text).length;
  let total = bytes(SHELL.body);
  for (const asset of UI_ASSETS.values()) total += bytes(asset.body);
  assert.ok(total <= PAGE_WEIGHT_BUDGET, `${total} bytes > ${PAGE_WEIGHT_BUDGET}`);
});

Deno.test("UI files: no HTML from strings, no inline script, style or handlers", () => {
  for (const [name, asset] of UI_ASSETS) {
    if (!name.endsWith(".js")) continue;
    for (
      const banned of [
        /\.innerHTML\b/,
        /\.outerHTML\b/,
        /insertAdjacentHTML/,
        /document\.write/,
        /\beval\(/,
        /new Function\(/,
        /setAttribute\(\s*["']style/,
        /\bsetTimeout\(\s*["'`]/,
      ]
    ) {
      assert.doesNotMatch(asset.body, banned, `${name}: ${banned}`);
    }
  }
  // The shell: scripts only by src, no handler or style attributes, no <style>.
  assert.doesNotMatch(SHELL.body, /<script(?![^>]*\ssrc=)[^>]*>/);
  assert.doesNotMatch(SHELL.body, /\son\w+\s*=/i);
  assert.doesNotMatch(SHELL.body, /\sstyle\s*=|<style/i);
});
