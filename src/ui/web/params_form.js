/**
 * The form "Run now" opens for a job that declares params: a modal dialog with one labelled
 * text input per param, prefilled with its default, its description as help text, its
 * pattern as the input's `pattern` and `required` when it has no default. The browser checks
 * what it can; what the API still refuses (a 400) shows in the form, as text, and the form
 * stays open. Escape or Cancel closes it without running.
 *
 * @module
 */

import { h } from "./dom.js";

let forms = 0;

/**
 * Whether the browser can use `pattern` as an input's `pattern` attribute, which it compiles
 * with the `v` flag (stricter than the API's plain anchored RegExp: `[a-z-]` is refused).
 * One it cannot compile is left out (the browser would ignore it and log an error); the API
 * still checks the value.
 */
function browserPattern(pattern) {
  if (pattern === null) return null;
  try {
    new RegExp(pattern, "v");
    return pattern;
  } catch {
    return null;
  }
}

/**
 * Opens the form for `params` (the `params` of `GET /api/jobs/{id}`) of job `jobId`.
 * `submit(values)` gets the filled-in values by name (an empty field is left out, so the
 * param gets its default) and resolves with null when done (the form closes) or with a
 * message to show in the form (it stays open).
 *
 * @param {string} jobId
 * @param {{name: string, default: string | null, description: string | null,
 *   pattern: string | null}[]} params
 * @param {(values: Record<string, string>) => Promise<string | null>} submit
 */
export function askForParams(jobId, params, submit) {
  const prefix = `params-${++forms}`;
  const inputs = params.map((p, i) => {
    const id = `${prefix}-${i}`;
    const help = [
      p.description,
      p.pattern === null
        ? null
        : h("span", { class: "pattern" }, "Pattern: ", h("code", {}, p.pattern)),
    ].filter(Boolean);
    const input = h("input", {
      id,
      name: p.name,
      type: "text",
      value: p.default ?? "",
      required: p.default === null,
      pattern: browserPattern(p.pattern),
      title: p.pattern === null ? null : `must match ${p.pattern}`,
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": help.length ? `${id}-help` : null,
    });
    const field = h(
      "div",
      { class: "field" },
      h(
        "label",
        { for: id },
        h("code", {}, p.name),
        p.default === null ? h("span", { class: "req" }, " (required)") : null,
      ),
      input,
      help.length ? h("small", { id: `${id}-help`, class: "muted" }, help) : null,
    );
    return { p, input, field };
  });
  const error = h("p", { class: "bad wrap", role: "alert", hidden: true });
  const run = h("button", { type: "submit", class: "primary" }, "Run");
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h(
    "form",
    {},
    h("h2", { id: `${prefix}-title` }, "Run ", h("code", {}, jobId)),
    inputs.map((x) => x.field),
    error,
    h("div", { class: "actions" }, cancel, run),
  );
  const dialog = h("dialog", { class: "params", "aria-labelledby": `${prefix}-title` }, form);
  dialog.addEventListener("close", () => dialog.remove());
  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = {};
    for (const { p, input } of inputs) if (input.value !== "") values[p.name] = input.value;
    run.disabled = true;
    error.hidden = true;
    try {
      const message = await submit(values);
      if (message === null) dialog.close();
      else {
        error.textContent = message;
        error.hidden = false;
      }
    } finally {
      run.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  inputs[0]?.input.focus();
  return dialog;
}
