/**
 * The fast way to read a job file: `npm:js-yaml` builds the data directly, with no syntax
 * tree and no positions (a 5,000-task file: ~60 ms and ~9 MiB of heap, against ~1 s and ~60
 * MiB for `npm:yaml`'s document, `yaml_doc.ts`). A valid file needs no positions, so the
 * loader reads every file this way first and reads it again with positions only when it
 * has something to report (`analysis.ts`, `load.ts`).
 *
 * The fast reader must give the very data `yaml_doc.ts` gives, or step aside. It steps aside
 * (returns null) for what the two parsers treat differently or what needs `yaml_doc.ts`'s
 * own checks: anchors and aliases (bounded expansion), merge keys, tags, more than one
 * document, keys that are not plain strings, and anything js-yaml refuses. The loader's fuzz
 * test compares the two on every mutated file.
 *
 * @module
 */

// @ts-types="npm:@types/js-yaml@4.0.9"
import { FAILSAFE_SCHEMA, load, type Schema, Type } from "js-yaml";
import type { Position, YamlFile } from "./yaml_doc.ts";

/**
 * What only `npm:yaml` reads as the loader means it: an anchor (`&name`: aliases are
 * resolved and bounded by `yaml_aliases.ts`), a tag (`!`, `!!str`), a merge key (`<<`), a
 * directive (`%YAML`), a second document (`---`, `...`), or a key that is a list or a map
 * (`? key`, `[a]: x`, `{[a]}`: js-yaml joins it as text, the loader writes JSON), and a
 * carriage return (npm:yaml keeps a `\r` of a CRLF line ending in some plain scalars), or a tab
 * in an indentation, a comment right after a quote, or what could be an implicit key of over
 * 1,000 characters (a line that long before its first `: `, or that long a run without a
 * flow indicator): npm:yaml refuses them, js-yaml not always. Shell text such as `a && b` in a
 * plain scalar matches too, and only costs that file the slower read.
 */
const NEEDS_FULL_PARSER =
  /(?:^|[\s[{,])(?:[&!]|\?(?:\s|$))|[\]}]\s*:(?:\s|$)|[{,]\s*\[|<<|\r|^ *\t|["']#|^(?:[^:\n]|:\S){500}|[^\n,[\]{}]{1000}|^%|^(?:---|\.\.\.)(?:\s|$)/m;

/**
 * Keys that the loader writes differently from js-yaml: a null key (`~:`, `null:`) is "" there
 * and "null" here; a map key (`{{ x }}` unquoted is one) is JSON there, "[object Object]" here.
 */
const KEY_WRITTEN_DIFFERENTLY = /^null$|\[object /;

/**
 * A plain scalar's type and value as `npm:yaml`'s core schema resolves it: its tests and
 * conversions, copied (js-yaml's own core schema differs: `1e3` is a string there). The
 * forms of one tag are one js-yaml type, as js-yaml keeps only the last type of a tag.
 */
function coreType(tag: string, forms: [RegExp, (text: string) => unknown][]): Type {
  const formOf = (text: string) => forms.find(([test]) => test.test(text));
  return new Type(`tag:yaml.org,2002:${tag}`, {
    kind: "scalar",
    resolve: (text: string | null) => text !== null && formOf(text) !== undefined,
    construct: (text: string) => formOf(text)![1](text),
  });
}

/** The YAML 1.2 core schema exactly as the loader's `npm:yaml` applies it. */
const SCHEMA: Schema = FAILSAFE_SCHEMA.extend({
  implicit: [
    coreType("null", [[/^(?:~|[Nn]ull|NULL)?$/, () => null]]),
    coreType("bool", [[/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (t) => t[0] === "t" || t[0] === "T"]]),
    coreType("int", [
      [/^0o[0-7]+$/, (t) => parseInt(t.slice(2), 8)],
      [/^[-+]?[0-9]+$/, (t) => parseInt(t, 10)],
      [/^0x[0-9a-fA-F]+$/, (t) => parseInt(t.slice(2), 16)],
    ]),
    coreType("float", [
      [
        /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
        (t) => t.slice(-3).toLowerCase() === "nan" ? NaN : t[0] === "-" ? -Infinity : Infinity,
      ],
      [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, parseFloat],
      [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, parseFloat],
    ]),
  ],
});

/** Where a fast-read file's positions would be: it has none (see {@link FastYamlFile}). */
const UNPLACED: Position = Object.freeze({ line: 0, col: 0 });

/**
 * A job file read by js-yaml: its data, no positions. Every position it gives is line 0: the
 * analysis reads the file again with `yaml_doc.ts` before it reports anything.
 */
export class FastYamlFile implements YamlFile {
  readonly file: string;
  readonly data: unknown;
  /** Always empty: a file js-yaml refuses is not read this way. */
  readonly syntaxErrors = [];

  private constructor(file: string, data: unknown) {
    this.file = file;
    this.data = data;
  }

  /**
   * The file read by js-yaml, or null when only the full parser reads it as the loader
   * means it (see the module's notes).
   */
  static read(file: string, text: string): FastYamlFile | null {
    if (NEEDS_FULL_PARSER.test(text)) return null;
    let data: unknown;
    try {
      data = load(text, { schema: SCHEMA, filename: file });
    } catch {
      return null; // The full parser says what is wrong, and where.
    }
    // A job is a map: anything else (an empty file is null here, nothing there) is an error
    // the full parser reports.
    if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
    return plainKeys(data, 0) ? new FastYamlFile(file, data) : null;
  }

  valueAt(): Position {
    return UNPLACED;
  }

  keyAt(): Position {
    return UNPLACED;
  }

  insideString(): Position {
    return UNPLACED;
  }

  has(path: readonly PropertyKey[]): boolean {
    let value: unknown = this.data;
    for (const segment of path) {
      if (Array.isArray(value) && typeof segment === "number" && segment < value.length) {
        value = value[segment];
      } else if (
        typeof value === "object" && value !== null && !Array.isArray(value) &&
        Object.hasOwn(value, segment)
      ) {
        value = (value as Record<PropertyKey, unknown>)[segment];
      } else return false;
    }
    return true;
  }
}

/**
 * The deepest nesting walked for keys: deeper data (no job file nests this far) steps aside
 * for the full parser, whose nesting check (`yaml_aliases.ts`) decides.
 *
 * @default {32}
 */
const MAX_DEPTH = 32;

/** Whether every key in `value` is written the same by both parsers (bounded depth). */
function plainKeys(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => plainKeys(item, depth + 1));
  for (const [key, item] of Object.entries(value)) {
    if (KEY_WRITTEN_DIFFERENTLY.test(key) || !plainKeys(item, depth + 1)) return false;
  }
  return true;
}
