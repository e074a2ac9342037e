/**
 * The web UI's entry: routes `/`, `/jobs/{id}` and `/runs/{id}` to their pages without
 * reloading (links are real `<a href>`; `history.pushState`, and the back button works; a
 * link to another view of the same page, such as a task's logs, replaces the step), and
 * keeps one live connection to `/api/events` whose events each page applies to itself.
 *
 * A page module exports `mount(main, id, url)`, returning `{onEvent(event), update(url),
 * tick(), close()}` (each optional): `update` when only the query changed, `tick` every 15 s
 * for relative times (it calls no API).
 *
 * @module
 */

import { request } from "./api.js";
import { fill, h } from "./dom.js";
import { setNavigator } from "./nav.js";
import { liveEvents } from "./sse.js";
import * as overview from "./pages/overview.js";
import * as job from "./pages/job.js";
import * as run from "./pages/run.js";

const ROUTES = [
  [/^\/$/, overview],
  [/^\/jobs\/([^/]+)$/, job],
  [/^\/runs\/([^/]+)$/, run],
];

const main = document.getElementById("main");
let current = null;

function matchRoute(pathname) {
  for (const [pattern, page] of ROUTES) {
    const m = pattern.exec(pathname);
    if (m) return { page, id: m[1] === undefined ? null : decodeURIComponent(m[1]) };
  }
  return null;
}

/** Shows the page of the current URL (or only updates it when just the query changed). */
function route() {
  const url = new URL(location.href);
  const found = matchRoute(url.pathname);
  if (current && found && current.page === found.page && current.id === found.id) {
    current.view.update?.(url);
    return;
  }
  current?.view.close?.();
  document.getElementById("notice").hidden = true;
  fill(main);
  if (!found) {
    main.append(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "/" }, "Back to the jobs")));
    current = null;
    return;
  }
  current = { ...found, view: found.page.mount(main, found.id, url) ?? {} };
  // Move focus to the new page's heading, as a page load would for screen readers.
  main.querySelector("h1")?.setAttribute("tabindex", "-1");
  if (document.activeElement && document.activeElement !== document.body) {
    main.querySelector("h1")?.focus({ preventScroll: true });
  }
}

/** Follows links to the UI's own pages without a reload; leaves every other link alone. */
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
    return;
  }
  const a = e.target.closest?.("a");
  const href = a?.getAttribute("href");
  if (!href || a.hasAttribute("target") || a.hasAttribute("download")) return;
  const url = new URL(href, location.href);
  if (url.origin !== location.origin || !matchRoute(url.pathname)) return;
  e.preventDefault();
  // Another page is a step back in history; another view of this page (a task's logs)
  // replaces the current step, so the back button leaves the page.
  if (url.pathname === location.pathname) history.replaceState(null, "", url);
  else {
    history.pushState(null, "", url);
    scrollTo(0, 0);
  }
  route();
});
addEventListener("popstate", route);
setNavigator((href) => {
  history.pushState(null, "", href);
  route();
  scrollTo(0, 0);
});

// One stream for every page: events are applied by the page shown when they arrive.
const live = document.getElementById("live");
void liveEvents("/api/events", {
  request,
  signal: new AbortController().signal,
  onState(state) {
    live.textContent = state === "live" ? "live" : "reconnecting…";
    live.className = state === "live" ? "live on" : "live off";
  },
  onEvent(message) {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    current?.view.onEvent?.(event);
  },
});
setInterval(() => current?.view.tick?.(), 15_000);

route();
