/**
 * Fixtures for the web UI tests: a real `pt run` (a subprocess with the project's
 * permissions, API on 127.0.0.1 port 0, see `tests/scenarios/helpers.ts`) and headless
 * Chromium driven by npm:playwright-core, which runs under Deno as it is (no Node.js needed).
 *
 * Chromium is Debian's (`apt-get install chromium`; `.ci/run` installs it when missing), at
 * `/usr/bin/chromium` or `$PETIT_CHROMIUM`. Playwright's own browser download is never used.
 * With `PETIT_UI_SCREENSHOTS=<folder>`, the page tests save screenshots there
 * (`docs/` keeps the ones the README shows).
 *
 * @module
 */

import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { type Pt, Sandbox, waitUntil } from "../scenarios/helpers.ts";

// playwright-core asks `fs.existsSync("/proc/sys/fs/binfmt_misc/WSLInterop")` when it loads
// (is this WSL?). Deno counts /proc/sys/ as special files that only --allow-all may touch and
// throws NotCapable there, where Node's existsSync answers false for anything it cannot see.
// Answer false there, so the tests keep the project's scoped permissions (never -A); then load
// Playwright.
const existsSync = fs.existsSync;
fs.existsSync = (path: fs.PathLike): boolean => {
  try {
    return existsSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable && String(path).startsWith("/proc/sys/")) {
      return false;
    }
    throw err;
  }
};
const { chromium } = await import("playwright-core");

/** Where Chromium is. */
export const CHROMIUM: string = Deno.env.get("PETIT_CHROMIUM") ?? "/usr/bin/chromium";

/** Chromium's flags: headless, and nothing that reaches the network by itself. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox", // tests run as root in CI, where Chromium's sandbox cannot start
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts Chromium; a missing binary is an error that says how to install it. */
export async function launchBrowser(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install it (apt-get install chromium, as .ci/run does) ` +
        "or set PETIT_CHROMIUM to its path",
    );
  }
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A `pt run` serving the UI. */
export interface UiServer {
  readonly sb: Sandbox;
  readonly pt: Pt;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `fetch(url + path)` with the token, if any; JSON answer. */
  api<T = Record<string, unknown>>(path: string, init?: RequestInit): Promise<T>;
}

/** Options of {@link startPt}. */
export interface PtOptions {
  /** `PETIT_API_TOKEN`. */
  readonly token?: string;
}

/** Writes `jobs` (file name → YAML) and starts `pt run` on them with the API on port 0. */
export async function startPt(
  jobs: Record<string, string>,
  options: PtOptions = {},
): Promise<UiServer> {
  const sb = await Sandbox.create("petit-ui-");
  try {
    for (const [name, yaml] of Object.entries(jobs)) await sb.job(name, yaml);
    const env: Record<string, string> = { PETIT_TEST_DIR: sb.dir };
    if (options.token) env.PETIT_API_TOKEN = options.token;
    const pt = sb.pt(["run", sb.jobs, "--db", sb.db, "--api-port", "0", "--no-watch"], env);
    const url = await waitUntil("the URL pt run prints", () => {
      if (pt.done) throw new Error(`pt run exited:\n${pt.stderr}`);
      return /http:\/\/127\.0\.0\.1:\d+/.exec(pt.stdout)?.[0] ?? null;
    }, 30_000);
    const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
      const headers = new Headers(init.headers);
      if (options.token) headers.set("authorization", `Bearer ${options.token}`);
      if (init.body) headers.set("content-type", "application/json");
      const res = await fetch(url + path, { ...init, headers });
      const body = await res.json();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return body as T;
    };
    return { sb, pt, url, api };
  } catch (err) {
    await sb.cleanup();
    throw err;
  }
}

/** A browser page that records what must never happen on it. */
export interface WatchedPage {
  readonly page: Page;
  /** Dialogs (alert, confirm, prompt), uncaught errors, console errors and warnings. */
  readonly problems: string[];
  /** Problems, less console lines matching `expected` (such as a 401 the test provoked). */
  unexpected(...expected: RegExp[]): string[];
  close(): Promise<void>;
}

/** Opens a page `width` px wide (a phone is 390) in a fresh context (no storage). */
export async function openPage(browser: Browser, width = 1280, height = 900): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("dialog", (d) => {
    problems.push(`dialog ${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") {
      problems.push(`console ${m.type()}: ${m.text()}`);
    }
  });
  return {
    page,
    problems,
    unexpected: (...expected) =>
      problems.filter((p) => !(p.startsWith("console") && expected.some((re) => re.test(p)))),
    close: () => context.close(),
  };
}

/** Whether the page scrolls sideways (it must not, at any width). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate("document.documentElement.scrollWidth > innerWidth");
}

/** Saves a screenshot as `<PETIT_UI_SCREENSHOTS>/<name>.png` when that variable is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = Deno.env.get("PETIT_UI_SCREENSHOTS");
  if (!dir) return;
  await Deno.mkdir(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

/**
 * A test with a browser and a `pt run` on `jobs`, both cleaned up however it ends. The
 * sanitizers are off: Playwright keeps pipes and timers of its own.
 */
export function uiTest(
  name: string,
  jobs: Record<string, string>,
  fn: (ctx: { browser: Browser; server: UiServer; t: Deno.TestContext }) => Promise<void>,
  options: PtOptions = {},
): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const server = await startPt(jobs, options);
      let browser: Browser | null = null;
      try {
        browser = await launchBrowser();
        await fn({ browser, server, t });
      } finally {
        await browser?.close();
        await server.sb.cleanup();
      }
    },
  });
}
