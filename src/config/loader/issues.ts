/**
 * Positioned errors: turns zod's issues into `file:line:col` messages that name the field,
 * the expected and the actual value, and keeps the hint lists short in big folders.
 *
 * @module
 */

import type { z } from "zod";
import { nearest } from "../errors.ts";
import { keysAt } from "../schema.ts";
import type { Position, YamlFile } from "../yaml_doc.ts";
import type { Message } from "./error_list.ts";
import { isRecord, type Path } from "./raw.ts";

/**
 * Reports one problem at a position of the file being checked. A message that costs
 * something to build (a "did you mean" over every id) is given as a function, called only
 * if the error is among those shown (`error_list.ts`).
 */
export type ReportAt = (pos: Position, message: Message) => void;

/** One problem zod found in a file's shape. */
export type Issue = z.core.$ZodIssue;

/**
 * How many known ids a hint lists before it says "… and N more".
 *
 * @default {20}
 */
export const KNOWN_IDS_SHOWN = 20;

/** Unions report "no branch matched"; when one branch clearly applies, use its issues. */
export function flattenIssues(issues: readonly Issue[], prefix: Path = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const relevant = issue.errors.filter((branch) =>
        !(branch.length === 1 && branch[0].path.length === 0 &&
          (branch[0].code === "invalid_type" || branch[0].code === "invalid_value"))
      );
      if (relevant.length === 1) {
        out.push(...flattenIssues(relevant[0], path));
        continue;
      }
    }
    out.push({ ...issue, path } as Issue);
  }
  return out;
}

/** A path as written in messages: `tasks[0].retry.delay`. */
export function label(path: Path): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** A value as named in messages: `string "x"`, `a list`, `null`. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** zod's type names in plain words. */
const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map",
  record: "a map",
};

/** Reports one (flattened) zod issue at the position of the field it is about. */
export function reportIssue(yaml: YamlFile, issue: Issue, at: ReportAt): void {
  const path = issue.path as PropertyKey[];
  const where = label(path);
  const value = valueAtPath(yaml.data, path);
  switch (issue.code) {
    case "unrecognized_keys":
      for (const key of issue.keys) {
        at(yaml.keyAt([...path, key]), () => {
          const hint = nearest(key, keysAt(path));
          // Quoted as JSON: a key may hold a line break, and an error is one line.
          return `unknown key ${JSON.stringify(key)}${where ? ` in ${where}` : ""}` +
            (hint ? ` (did you mean "${hint}"?)` : "");
        });
      }
      return;
    case "invalid_key": {
      // A map key that its record refuses (an environment variable's name): the key's own
      // message, at the key.
      const parent = label(path.slice(0, -1));
      const inner = issue.issues[0]?.message ?? issue.message;
      at(
        yaml.keyAt(path),
        `${parent ? `${parent}: ` : ""}${inner}, got ${JSON.stringify(String(path.at(-1)))}`,
      );
      return;
    }
    case "invalid_type":
      if (value === undefined && !yaml.has(path)) {
        const parent = path.slice(0, -1);
        const key = String(path.at(-1));
        at(
          yaml.valueAt(parent),
          `${label(parent) ? `${label(parent)}: ` : ""}missing required field "${key}"`,
        );
        return;
      }
      if (path.length === 0) {
        at(yaml.valueAt(path), issue.message);
        return;
      }
      at(
        yaml.valueAt(path),
        `${where} must be ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(value)}`,
      );
      return;
    case "invalid_value":
      at(
        yaml.valueAt(path),
        `${where} must be one of ${issue.values.map(String).join(", ")}; got ${describe(value)}`,
      );
      return;
    case "too_small":
    case "too_big":
      at(yaml.valueAt(path), `${where} ${issue.message}, got ${describe(value)}`);
      return;
    case "invalid_format":
      // The message names the field itself ("job id may only contain …").
      at(yaml.valueAt(path), `${where}: ${issue.message}, got ${describe(value)}`);
      return;
    default:
      at(yaml.valueAt(path), where ? `${where}: ${issue.message}` : issue.message);
  }
}

/** A sorted id list for hints, cut short in big folders. */
export function listKnown(ids: readonly string[], max = KNOWN_IDS_SHOWN): string {
  if (ids.length <= max) return ids.join(", ");
  return `${ids.slice(0, max).join(", ")}, … and ${ids.length - max} more`;
}

/** The raw value at `path`, or undefined when the path leaves the data. */
function valueAtPath(data: unknown, path: Path): unknown {
  let node = data;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isRecord(node)) node = node[segment as string];
    else return undefined;
  }
  return node;
}
