/**
 * What the kernel would refuse when a task starts, checked when the file is loaded rather
 * than at 3 a.m.: Linux copies each argument and each environment entry (`NAME=value`) of
 * a new process with a limit of MAX_ARG_STRLEN bytes per string, its terminating NUL
 * included, and `execve` fails with E2BIG past it. A shell script is one argument
 * (`/bin/sh -c script`), and so is an inline Python script (`python3 -c script`); a Python
 * script that is not inline is written to a file and has no limit.
 *
 * Templates are counted as if they expanded to nothing, so a text is refused only when its
 * own characters are already too many. (NUL bytes and `=` in names are the schema's.)
 *
 * @module
 */

import { scanTemplate } from "../../core/template.ts";
import type { YamlFile } from "../yaml_doc.ts";
import { label, type ReportAt } from "./issues.ts";
import { isRecord, type Path } from "./raw.ts";

/**
 * Linux's limit on one argument or environment string, in bytes, its NUL included
 * (`MAX_ARG_STRLEN` = 32 pages of 4 KiB), so a text may have 131,071 bytes.
 *
 * @default {131072}
 */
export const MAX_ARG_STRLEN = 131072;

/** Bytes of `text` in UTF-8. */
function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Bytes `text` has at least once its templates are expanded (to nothing, at least). */
function staticBytes(text: string): number {
  // A UTF-16 unit is at most 3 bytes: short texts need no count.
  if (text.length * 3 < MAX_ARG_STRLEN) return text.length;
  let n = utf8Bytes(text);
  for (const part of scanTemplate(text)) n -= utf8Bytes(text.slice(part.start, part.end));
  return n;
}

/** Checks the arguments, scripts and environment entries a task would start with. */
export function checkSpawnLimits(yaml: YamlFile, raw: Record<string, unknown>, at: ReportAt): void {
  const tooLong = (path: Path, bytes: number, what: string, instead: string) =>
    at(
      yaml.valueAt(path),
      `${label(path)} is ${bytes} bytes; ${what}, and Linux passes at most ${
        MAX_ARG_STRLEN - 1
      } bytes in one (MAX_ARG_STRLEN): ${instead}`,
    );
  const environment = (path: Path, env: unknown) => {
    if (!isRecord(env)) return;
    for (const [key, value] of Object.entries(env)) {
      if (typeof value !== "string") continue;
      // `NAME=value` and its NUL.
      const bytes = utf8Bytes(key) + 1 + staticBytes(value) + 1;
      if (bytes > MAX_ARG_STRLEN) {
        tooLong(
          [...path, key],
          bytes - utf8Bytes(key) - 2,
          "a variable is passed as one string with its name",
          "pass the value in a file and its path in the variable",
        );
      }
    }
  };
  environment(["environment"], raw.environment);
  if (!Array.isArray(raw.tasks)) return;
  raw.tasks.forEach((t, i) => {
    if (!isRecord(t)) return;
    const type = t.type ?? "command";
    const over = (text: unknown) =>
      typeof text === "string" && staticBytes(text) + 1 > MAX_ARG_STRLEN ? staticBytes(text) : 0;
    if (type === "command") {
      const command = over(t.command);
      if (command) {
        tooLong(
          ["tasks", i, "command"],
          command,
          "a program is named in one string",
          "use a shorter path",
        );
      }
      if (Array.isArray(t.args)) {
        t.args.forEach((arg, j) => {
          const bytes = over(arg);
          if (bytes) {
            tooLong(
              ["tasks", i, "args", j],
              bytes,
              "each argument is one string",
              "pass the text in a file and its path as the argument",
            );
          }
        });
      }
    } else if (type === "shell" || (type === "python" && t.inline === true)) {
      const bytes = over(t.script);
      if (bytes) {
        tooLong(
          ["tasks", i, "script"],
          bytes,
          `the script is one argument of ${type === "shell" ? "/bin/sh -c" : "python3 -c"}`,
          type === "shell"
            ? "put the script in a file and run that file"
            : "drop inline: true (the script is then passed as a file)",
        );
      }
    }
    environment(["tasks", i, "environment"], t.environment);
  });
}
