/**
 * Going to another page of the UI from code (after a retry, say): `app.js` registers how.
 *
 * @module
 */

let go = (href) => location.assign(href);

/** Registers the router's way of showing `href` (history.pushState, then render). */
export function setNavigator(fn) {
  go = fn;
}

/** Shows the page `href` as if its link was followed. */
export function navigate(href) {
  go(href);
}
