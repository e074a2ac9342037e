/**
 * The rules of Kubernetes tasks (`type: kubernetes`) that a shape cannot state: such a task
 * needs `image`, takes `command` as a list (the container's entrypoint) and refuses the
 * fields of tasks that run here; its environment names are those a container takes; a
 * resource request is not above its limit. Other task types refuse the Kubernetes fields.
 * Whether a cluster is configured is not checked here: that is a run-time error. The JSON
 * Schema states what it can of this (`config/schema.ts`).
 *
 * @module
 */

import {
  KUBE_ENV_NAME_PATTERN,
  KUBERNETES_FIELDS,
  NOT_FOR_KUBERNETES,
  QUANTITY_PATTERN,
} from "../kube_schema.ts";
import type { YamlFile } from "../yaml_doc.ts";
import type { ReportAt } from "./issues.ts";
import { isRecord } from "./raw.ts";
import { refuseOtherTypeFields } from "./type_fields.ts";

/** Why each field of a task that runs here is refused on a Kubernetes task. */
const REFUSED: Readonly<Record<(typeof NOT_FOR_KUBERNETES)[number], string>> = {
  script: `is for type: shell or python; type kubernetes runs "command" and "args" in the ` +
    'container (e.g. command: [sh, -c, "…"])',
  working_dir: "is for tasks that run here; a container starts in its image's working directory",
  host: "is for tasks that run over SSH; a kubernetes task runs on the cluster (choose nodes " +
    "with node_selector)",
};

/** Multipliers of a quantity's suffixes. */
const SUFFIXES: Readonly<Record<string, number>> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity (`500m` → 0.5, `1Ki` → 1024), or null when it is none. */
export function quantityValue(quantity: string | number): number | null {
  if (typeof quantity === "number") return quantity >= 0 ? quantity : null;
  const match = QUANTITY_PATTERN.exec(quantity);
  if (!match) return null;
  const number = Number(match[1]);
  const suffix = match[3] ?? "";
  if (/^[eE]/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  return number * SUFFIXES[suffix];
}

/** Checks the Kubernetes fields of task `i`, whose type is `type` (`command` when not written). */
export function checkKubernetesFields(
  yaml: YamlFile,
  i: number,
  t: Record<string, unknown>,
  type: unknown,
  at: ReportAt,
): void {
  const where = (key: string) => yaml.keyAt(["tasks", i, key]);
  if (type !== "kubernetes") {
    refuseOtherTypeFields(yaml, i, t, KUBERNETES_FIELDS, "kubernetes", at);
    return;
  }
  if (t.image === undefined) {
    at(
      yaml.valueAt(["tasks", i]),
      `tasks[${i}]: type kubernetes needs "image" (the container image, e.g. busybox:1.36)`,
    );
  }
  if (typeof t.command === "string") {
    at(
      yaml.valueAt(["tasks", i, "command"]),
      `tasks[${i}].command: type kubernetes takes a list (the container's entrypoint), ` +
        `e.g. [sh, -c, "echo hi"]`,
    );
  }
  for (const key of NOT_FOR_KUBERNETES) {
    if (t[key] !== undefined) at(where(key), `tasks[${i}]: "${key}" ${REFUSED[key]}`);
  }
  if (isRecord(t.environment)) {
    for (const name of Object.keys(t.environment)) {
      // Names with "=" or NUL are the schema's errors already.
      if (KUBE_ENV_NAME_PATTERN.test(name) || /[=\0]/.test(name) || name === "") continue;
      at(
        yaml.keyAt(["tasks", i, "environment", name]),
        `tasks[${i}].environment: "${name}" is not a name a container takes (letters, digits, ` +
          `"_", "-" and ".", not first a digit)`,
      );
    }
  }
  checkRequestsWithinLimits(yaml, i, t.resources, at);
}

/** Kubernetes refuses a Job whose request is above its limit: say so when the file loads. */
function checkRequestsWithinLimits(
  yaml: YamlFile,
  i: number,
  resources: unknown,
  at: ReportAt,
): void {
  if (!isRecord(resources) || !isRecord(resources.requests) || !isRecord(resources.limits)) {
    return;
  }
  for (const resource of ["cpu", "memory"] as const) {
    const request = resources.requests[resource];
    const limit = resources.limits[resource];
    if (typeof request !== "string" && typeof request !== "number") continue;
    if (typeof limit !== "string" && typeof limit !== "number") continue;
    const r = quantityValue(request);
    const l = quantityValue(limit);
    if (r === null || l === null || r <= l) continue;
    at(
      yaml.valueAt(["tasks", i, "resources", "requests", resource]),
      `tasks[${i}].resources.requests.${resource} ${request} is more than its limit ${limit} ` +
        "(Kubernetes refuses a request above the limit)",
    );
  }
}
