/**
 * The form that asks for the API token: a modal dialog with a password field, shown when the
 * API answers 401. Resolves with what was entered.
 *
 * @module
 */

import { h } from "./dom.js";

/** Asks for the token; `refused` says the last one was wrong. */
export function askForToken(refused) {
  return new Promise((resolve) => {
    const input = h("input", {
      type: "password",
      name: "token",
      autocomplete: "current-password",
      required: true,
      spellcheck: "false",
    });
    const form = h(
      "form",
      { class: "token-form" },
      h("h2", {}, "API token"),
      h(
        "p",
        {},
        refused
          ? "That token was refused. Enter the API token of this Petit server."
          : "This Petit server needs its API token (PETIT_API_TOKEN). It is kept for this tab only.",
      ),
      h("label", {}, "Token ", input),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Continue")),
    );
    const dialog = h("dialog", { class: "token", "aria-label": "API token" }, form);
    // Escape would close the dialog with no token: keep asking instead.
    dialog.addEventListener("cancel", (e) => e.preventDefault());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = input.value.trim();
      if (value === "") return;
      dialog.close();
      dialog.remove();
      resolve(value);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}
