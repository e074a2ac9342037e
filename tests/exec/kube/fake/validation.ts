/**
 * The checks the real API server makes of what it is sent, worded as it words them: a Job
 * (so a manifest the real one refuses is refused here too), its env entries, labels, names
 * and keys of Secrets, and the 422 `Status` that lists the fields. No permissions needed.
 *
 * @module
 */

import {
  ApiFailure,
  type Container,
  type EnvVarObj,
  type KeyRefObj,
  type PodSpecObj,
} from "./objects.ts";

const LABEL = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const LABEL_HINT = "a valid label must be an empty string or consist of alphanumeric " +
  "characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS_HINT = "a lowercase RFC 1123 label must consist of lower case alphanumeric " +
  "characters or '-', and must start and end with an alphanumeric character";

const SUBDOMAIN_HINT = "a lowercase RFC 1123 subdomain must consist of lower case " +
  "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_HINT = "a valid config key must consist of alphanumeric characters, '-', '_' " +
  "or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is " +
  "'[-._a-zA-Z0-9]+')";

/** The errors of a qualified name (`prefix/name`): a label's or an annotation's key. */
export function keyErrors(key: string, field: string): string[] {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? "" : key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (
    name === "" || name.length > 63 || !LABEL.test(name) ||
    (slash >= 0 && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
  ) {
    return [
      `${field}: Invalid value: "${key}": name part must consist of alphanumeric ` +
      "characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ];
  }
  return [];
}

/** The errors of a map of labels, as the real API words them. */
export function labelErrors(labels: unknown, field: string): string[] {
  if (labels === undefined) return [];
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    return [`${field}: Invalid value: must be a map of strings`];
  }
  const out: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    out.push(...keyErrors(key, field));
    if (typeof value !== "string" || value.length > 63 || !LABEL.test(value)) {
      const why = typeof value === "string" && value.length > 63
        ? "must be no more than 63 characters"
        : LABEL_HINT;
      out.push(`${field}: Invalid value: ${JSON.stringify(value)}: ${why}`);
    }
  }
  return out;
}

/** The errors of a DNS-1123 subdomain (the name of a Secret, of a Secret a pod reads). */
export function subdomainErrors(value: string, field: string): string[] {
  const out: string[] = [];
  const q = JSON.stringify(value);
  if (value.length > 253) {
    out.push(`${field}: Invalid value: ${q}: must be no more than 253 characters`);
  }
  if (!DNS_SUBDOMAIN.test(value)) out.push(`${field}: Invalid value: ${q}: ${SUBDOMAIN_HINT}`);
  return out;
}

/** The errors of a key of a Secret's data (or of a `secretKeyRef`): `IsConfigMapKey`. */
export function configKeyErrors(key: string, field: string): string[] {
  const q = JSON.stringify(key);
  const out: string[] = [];
  if (key.length > 253) {
    out.push(`${field}: Invalid value: ${q}: must be no more than 253 characters`);
  }
  if (!CONFIG_KEY.test(key)) out.push(`${field}: Invalid value: ${q}: ${CONFIG_KEY_HINT}`);
  // Keys become file names when a Secret is mounted: no way out of the folder.
  const chdir = key === "."
    ? "must not be '.'"
    : key === ".."
    ? "must not be '..'"
    : key.startsWith("..")
    ? "must not start with '..'"
    : null;
  if (chdir) out.push(`${field}: Invalid value: ${q}: ${chdir}`);
  return out;
}

/**
 * A 422 `Kind.group "name" is invalid: …` listing field errors (`field: What: detail`), with
 * the causes the real API sends.
 */
export function invalid(kind: string, group: string, name: string, errors: string[]): ApiFailure {
  const reasons: Record<string, string> = {
    "Invalid value": "FieldValueInvalid",
    "Required value": "FieldValueRequired",
    "Unsupported value": "FieldValueNotSupported",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
  };
  const causes = errors.map((e) => {
    const [field, message] = [e.slice(0, e.indexOf(": ")), e.slice(e.indexOf(": ") + 2)];
    return { reason: reasons[message.split(":")[0]] ?? "FieldValueInvalid", message, field };
  });
  return new ApiFailure(
    422,
    "Invalid",
    `${kind}${group ? `.${group}` : ""} "${name}" is invalid: ${
      errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`
    }`,
    { name, ...(group ? { group } : {}), kind, causes },
  );
}

/**
 * The real API's checks of an env entry: a valid name; with `valueFrom`, exactly one source
 * (a valid one) and no `value`. An entry with neither is valid: its value is "".
 */
function envErrors(e: Partial<EnvVarObj>, at: string): string[] {
  const out: string[] = [];
  if (e.name === "") out.push(`${at}.name: Required value`);
  else if (typeof e.name !== "string" || !ENV_NAME.test(e.name)) {
    out.push(
      `${at}.name: Invalid value: ${JSON.stringify(e.name)}: a valid ` +
        "environment variable name must consist of alphabetic characters, digits, '_', " +
        "'-', or '.', and must not start with a digit",
    );
  }
  if (e.value !== undefined && typeof e.value !== "string") {
    out.push(`${at}.value: Invalid value: must be a string`);
  }
  const from = e.valueFrom;
  if (from === undefined || from === null) return out;
  const at2 = `${at}.valueFrom`;
  const sources = (["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"] as const)
    .filter((k) => from[k] !== undefined && from[k] !== null);
  for (const k of ["configMapKeyRef", "secretKeyRef"] as const) {
    const ref = from[k] as Partial<KeyRefObj> | undefined | null;
    if (!ref) continue;
    out.push(...subdomainErrors(String(ref.name ?? ""), `${at2}.${k}.name`));
    if (!ref.key) out.push(`${at2}.${k}.key: Required value`);
    else out.push(...configKeyErrors(String(ref.key), `${at2}.${k}.key`));
  }
  const why = sources.length === 0
    ? "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
    : e.value
    ? "may not be specified when `value` is not empty"
    : sources.length > 1
    ? "may not have more than one field specified at a time"
    : null;
  if (why) out.push(`${at2}: Invalid value: "": ${why}`);
  return out;
}

/**
 * What the real API server would refuse in a Job: a 422 `Job.batch "x" is invalid: …`
 * listing the fields, as it does.
 */
export function validateJob(body: unknown, name: string): void {
  const job = body as {
    metadata?: { labels?: unknown };
    spec?: { template?: { metadata?: { labels?: unknown }; spec?: Partial<PodSpecObj> } };
  };
  const errors: string[] = [];
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    errors.push(
      `metadata.name: Invalid value: "${name}": ${DNS_HINT}` +
        (name.length > 63 ? " (must be no more than 63 characters)" : ""),
    );
  }
  errors.push(...labelErrors(job.metadata?.labels, "metadata.labels"));
  const template = job.spec?.template;
  errors.push(...labelErrors(template?.metadata?.labels, "spec.template.metadata.labels"));
  const pod = template?.spec;
  const containers = pod?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push("spec.template.spec.containers: Required value");
  } else {
    containers.forEach((c: Partial<Container>, i) => {
      const at = `spec.template.spec.containers[${i}]`;
      if (typeof c.name !== "string" || c.name === "") errors.push(`${at}.name: Required value`);
      else if (c.name.length > 63 || !DNS_LABEL.test(c.name)) {
        errors.push(`${at}.name: Invalid value: "${c.name}": ${DNS_HINT}`);
      }
      if (typeof c.image !== "string" || c.image === "") {
        errors.push(`${at}.image: Required value`);
      }
      for (const [k, v] of [["command", c.command], ["args", c.args]] as const) {
        if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== "string"))) {
          errors.push(`${at}.${k}: Invalid value: must be a list of strings`);
        }
      }
      (c.env ?? []).forEach((e, j) => errors.push(...envErrors(e, `${at}.env[${j}]`)));
    });
  }
  // The API defaults a missing restartPolicy to Always, which a Job may not have.
  const policy = pod?.restartPolicy ?? "Always";
  if (policy !== "Never" && policy !== "OnFailure") {
    errors.push(
      `spec.template.spec.restartPolicy: Unsupported value: "${policy}": ` +
        `supported values: "OnFailure", "Never"`,
    );
  }
  if (errors.length > 0) throw invalid("Job", "batch", name, errors);
}
