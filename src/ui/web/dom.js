/**
 * Building the page without HTML strings: every value from the API becomes a text node or an
 * attribute value, never markup, so the Content-Security-Policy (no inline script) holds and
 * a job named `<img src=x onerror=…>` shows as those characters.
 *
 * @module
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Sets properties on an element: `class` (a string or a list with gaps), `on<event>`
 * listeners, and attributes (`true` is an empty attribute; null, undefined and false are
 * left out). Attribute names come from this code, never from data.
 */
function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

/** Appends children: nodes as they are, anything else as text; lists are flattened. */
export function add(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An HTML element: `h("a", {href: "/"}, "Jobs")`. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  return add(el, ...children);
}

/** An SVG element, like {@link h}. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  return add(el, ...children);
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return add(el, ...children);
}

/** A link to a page of the UI, with the path segment escaped. */
export function pageHref(kind, id, query) {
  const q = query ? `?${new URLSearchParams(query)}` : "";
  return `/${kind}/${encodeURIComponent(id)}${q}`;
}

/** A status word in its colour. */
export function badge(status, text = status) {
  return h("span", { class: ["badge", `st-${status}`] }, text);
}
