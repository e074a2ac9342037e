/**
 * Buttons that act on the scheduler, shared by the pages: run a job now (offering "Run
 * anyway" when a job dependency refuses it), enable or disable it. Results and refusals go
 * to the notice line at the top of the page.
 *
 * @module
 */

import { apiPath, post } from "./api.js";
import { fill, h, pageHref } from "./dom.js";

/** Shows a message (and optional nodes, such as a link) in the notice line. */
export function notify(kind, ...content) {
  const box = document.getElementById("notice");
  fill(box, h("span", { class: kind }, content));
  box.hidden = false;
}

/** Triggers `jobId`; a 409 (dependency) offers to run it anyway with `force`. */
export async function runNow(jobId, force = false) {
  try {
    const started = await post(
      apiPath("jobs", jobId, "trigger"),
      force ? { force: true } : undefined,
    );
    notify(
      "ok",
      `Started run `,
      h("a", { href: pageHref("runs", started.run_id) }, started.run_id),
      ` of ${jobId}.`,
    );
  } catch (err) {
    if (err.status === 409 && !force) {
      notify(
        "warn",
        `${jobId}: ${err.message} `,
        h("button", { type: "button", onclick: () => runNow(jobId, true) }, "Run anyway"),
      );
    } else {
      notify("bad", `${jobId}: ${err.message}`);
    }
  }
}

/** Enables or disables `job`; resolves with the job as the API answers it, or null. */
export async function setEnabled(job, enabled) {
  try {
    return await post(apiPath("jobs", job.id, enabled ? "enable" : "disable"));
  } catch (err) {
    notify("bad", `${job.id}: ${err.message}`);
    return null;
  }
}

/** A "Run now" button. */
export function runButton(jobId) {
  return h("button", { type: "button", class: "primary", onclick: () => runNow(jobId) }, "Run now");
}

/**
 * An Enable/Disable button for `job`; `onChange(job)` gets the job after a change. Its
 * `update(job)` sets the label without replacing the button (focus stays on it).
 */
export function enableButton(job, onChange) {
  let current = job;
  const button = h("button", { type: "button" });
  const update = (j) => {
    current = j;
    button.textContent = j.enabled ? "Disable" : "Enable";
  };
  button.addEventListener("click", async () => {
    const changed = await setEnabled(current, !current.enabled);
    if (changed) {
      update(changed);
      onChange?.(changed);
    }
  });
  update(job);
  button.update = update;
  return button;
}
