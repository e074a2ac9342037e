/**
 * The rules of HTTP tasks (`type: http`) that a shape cannot state: an HTTP task needs `url`
 * and refuses the fields of tasks that run a program; GET and HEAD send no body; a `url`
 * without templates must be an http or https URL (one with templates is checked when it is
 * rendered); header names are given once, whatever their case. Other task types refuse the
 * HTTP fields. The JSON Schema states what it can of this (`config/schema.ts`).
 *
 * @module
 */

import { scanTemplate } from "../../core/template.ts";
import { HTTP_FIELDS, NOT_FOR_HTTP } from "../schema.ts";
import type { YamlFile } from "../yaml_doc.ts";
import type { ReportAt } from "./issues.ts";
import { isRecord } from "./raw.ts";
import { refuseOtherTypeFields } from "./type_fields.ts";

/** Methods that send no body. */
const NO_BODY = new Set(["GET", "HEAD"]);

/** Checks the HTTP fields of task `i`, whose type is `type` (`command` when not written). */
export function checkHttpFields(
  yaml: YamlFile,
  i: number,
  t: Record<string, unknown>,
  type: unknown,
  at: ReportAt,
): void {
  const where = (key: string) => yaml.keyAt(["tasks", i, key]);
  if (type !== "http") {
    refuseOtherTypeFields(yaml, i, t, HTTP_FIELDS, "http", at);
    return;
  }
  if (t.url === undefined) at(yaml.valueAt(["tasks", i]), `tasks[${i}]: type http needs "url"`);
  else if (typeof t.url === "string" && t.url !== "") {
    const problem = urlProblem(t.url);
    if (problem) at(yaml.valueAt(["tasks", i, "url"]), `tasks[${i}].url: ${problem}`);
  }
  for (const key of NOT_FOR_HTTP) {
    if (t[key] === undefined) continue;
    at(
      where(key),
      key === "environment"
        ? `tasks[${i}]: "environment" is for tasks that run a program; an http task takes ` +
          "values through templates in url, headers and body"
        : `tasks[${i}]: "${key}" is for tasks that run a program; type http requests "url"`,
    );
  }
  const method = t.method ?? "GET";
  if (t.body !== undefined && typeof method === "string" && NO_BODY.has(method)) {
    at(
      where("body"),
      `tasks[${i}]: method ${method} sends no body (use POST, PUT, PATCH, DELETE or OPTIONS)`,
    );
  }
  if (isRecord(t.headers)) {
    const seen = new Map<string, string>();
    for (const name of Object.keys(t.headers)) {
      const first = seen.get(name.toLowerCase());
      if (first === undefined) seen.set(name.toLowerCase(), name);
      else {
        at(
          yaml.keyAt(["tasks", i, "headers", name]),
          `tasks[${i}].headers: "${name}" is "${first}" again (header names ignore case); ` +
            "keep one",
        );
      }
    }
  }
}

/** What is wrong with a URL as written, or null; one with templates is checked when rendered. */
function urlProblem(url: string): string | null {
  if (scanTemplate(url).length > 0) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL (write it in full, e.g. https://example.com/path)`;
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:"
    ? null
    : `${JSON.stringify(url)} is not an http or https URL`;
}
