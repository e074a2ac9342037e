/**
 * Buttons that act on the scheduler, shared by the pages: run a job now (asking for its
 * params first when it has any, and offering "Run anyway" when a job dependency refuses it),
 * enable or disable it. Results and refusals go to the notice line at the top of the page
 * (a refused param value, to the params form).
 *
 * @module
 */

import { api, apiPath, post } from "./api.js";
import { fill, h, pageHref } from "./dom.js";
import { askForParams } from "./params_form.js";

/** Shows a message (and optional nodes, such as a link) in the notice line. */
export function notify(kind, ...content) {
  const box = document.getElementById("notice");
  fill(box, h("span", { class: kind }, content));
  box.hidden = false;
}

/** Triggers `jobId` (with `params` values by name, if any); resolves when it started. */
async function start(jobId, force, params) {
  const body = {};
  if (force) body.force = true;
  if (params && Object.keys(params).length > 0) body.params = params;
  const started = await post(
    apiPath("jobs", jobId, "trigger"),
    Object.keys(body).length > 0 ? body : undefined,
  );
  notify(
    "ok",
    `Started run `,
    h("a", { href: pageHref("runs", started.run_id) }, started.run_id),
    ` of ${jobId}.`,
  );
}

/** Shows why a trigger failed; a 409 (dependency) offers to run it anyway with `force`. */
function refused(jobId, err, force, params) {
  if (err.status === 409 && !force) {
    notify(
      "warn",
      `${jobId}: ${err.message} `,
      h("button", { type: "button", onclick: () => runNow(jobId, true, params) }, "Run anyway"),
    );
  } else {
    notify("bad", `${jobId}: ${err.message}`);
  }
}

/** Triggers `jobId` with `params`; a 409 (dependency) offers to run it anyway with `force`. */
export async function runNow(jobId, force = false, params = undefined) {
  try {
    await start(jobId, force, params);
  } catch (err) {
    refused(jobId, err, force, params);
  }
}

/**
 * Run now for `jobId`: a job without params starts at once; one with params opens their
 * form first (`params_form.js`), where a refused value (400) shows. `paramsOf()` gives the
 * job's params (the `params` of `GET /api/jobs/{id}`, which it asks by default).
 */
export async function runWithParams(jobId, paramsOf = undefined) {
  let params;
  try {
    params = paramsOf ? await paramsOf() : (await api(apiPath("jobs", jobId))).params;
  } catch (err) {
    notify("bad", `${jobId}: ${err.message}`);
    return;
  }
  if (!params || params.length === 0) return runNow(jobId);
  askForParams(jobId, params, async (values) => {
    try {
      await start(jobId, false, values);
      return null;
    } catch (err) {
      if (err.status === 400) return err.message;
      refused(jobId, err, false, values);
      return null;
    }
  });
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

/** A "Run now" button; `paramsOf` as for {@link runWithParams}. */
export function runButton(jobId, paramsOf = undefined) {
  return h("button", {
    type: "button",
    class: "primary",
    onclick: () => runWithParams(jobId, paramsOf),
  }, "Run now");
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
