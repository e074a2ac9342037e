/**
 * A parsed YAML file that remembers where each node is, so any problem can be reported
 * as file:line:col. Aliases and nesting are checked before the document becomes data
 * (`yaml_aliases.ts`), so a file with an alias mistake is errors of that file, never an
 * exception that stops the load.
 *
 * @module
 */

import {
  type Document,
  type EmptyStream,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
} from "yaml";
import process from "node:process";
import type { ConfigError } from "./errors.ts";
import { checkAliases, toData } from "./yaml_aliases.ts";

/**
 * The yaml parser reads `process.env.LOG_TOKENS` once per token; in Deno each read of
 * `process.env` is a call into the runtime, which doubles parse time. Parsing is
 * synchronous, so the real environment is swapped for a plain snapshot only while a
 * file is parsed and restored before anything else can run.
 */
function withPlainEnv<T>(parse: () => T): T {
  const real = process.env;
  const plain: Record<string, string> = {};
  const logTokens = real.LOG_TOKENS;
  if (logTokens !== undefined) plain.LOG_TOKENS = logTokens;
  try {
    (process as { env: Record<string, string> }).env = plain;
    return parse();
  } finally {
    (process as { env: unknown }).env = real;
  }
}

/**
 * The parser's work alone: `text` as YAML documents, parsed as the loader parses it (the
 * bench compares it with the whole check).
 */
export function parseYaml(text: string): Document.Parsed[] | EmptyStream {
  return withPlainEnv(() => parseAllDocuments(text, { prettyErrors: false }));
}

/**
 * Where each line of `text` starts. The parser's own LineCounter is not used: after some
 * syntax errors it stops counting lines, and later positions fall past the end of line 1.
 */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** A 1-based source position. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/**
 * A job file as the checks read it: its data, and where things are written. Two readers give
 * it: {@link YamlDocument} (positions) and `FastYamlFile` (`yaml_fast.ts`: data only).
 */
export interface YamlFile {
  /** The path as shown in messages. */
  readonly file: string;
  /** The document as plain JS data (undefined when the file is empty). */
  readonly data: unknown;
  /**
   * Syntax errors, and alias or nesting errors (`yaml_aliases.ts`); when non-empty, `data`
   * is undefined.
   */
  readonly syntaxErrors: readonly ConfigError[];
  /** Where the value at `path` starts; falls back to the nearest existing ancestor. */
  valueAt(path: readonly PropertyKey[]): Position;
  /** Where the key of the entry at `path` starts (for unknown-key errors). */
  keyAt(path: readonly PropertyKey[]): Position;
  /** Whether a value exists at `path`. */
  has(path: readonly PropertyKey[]): boolean;
  /**
   * Position of character `offset` inside the string scalar at `path`, when the scalar is
   * on one line (plain or quoted); otherwise the scalar's start.
   */
  insideString(path: readonly PropertyKey[], offset: number): Position;
}

/** A YAML file parsed by `npm:yaml` to plain data, with node lookups by path. */
export class YamlDocument implements YamlFile {
  readonly file: string;
  readonly data: unknown;
  readonly syntaxErrors: ConfigError[];
  readonly #root: Node | null;
  /** Offsets where lines start. */
  readonly #lines: number[];

  constructor(file: string, text: string) {
    this.file = file;
    this.#lines = lineStarts(text);
    const docs = parseYaml(text);
    this.syntaxErrors = [];
    if (!Array.isArray(docs)) {
      // Only comments or nothing at all.
      this.#root = null;
      this.data = undefined;
      return;
    }
    const [doc, ...extra] = docs;
    for (const err of docs.flatMap((d) => d.errors)) {
      const pos = this.#position(err.pos[0]);
      this.syntaxErrors.push({
        file,
        line: pos.line,
        col: pos.col,
        message: `YAML syntax error: ${firstLine(err.message)}`,
      });
    }
    if (extra.length > 0) {
      const at = this.#position(extra[0].range?.[0] ?? 0);
      this.syntaxErrors.push({
        file,
        ...at,
        message: "a job file holds one YAML document; found another after ---",
      });
    }
    this.#root = (doc?.contents as Node | null) ?? null;
    if (this.syntaxErrors.length > 0 || !doc) {
      this.data = undefined;
      return;
    }
    // Aliases are checked and resolved here, not by the parser's toJS: its `maxAliasCount`
    // counts every use of an anchor (a big file whose tasks all share one `&defaults` would
    // be refused) and its alias lookups are quadratic (see yaml_aliases.ts).
    const aliases = checkAliases(doc);
    for (const problem of aliases.problems) {
      this.syntaxErrors.push({ file, ...this.#position(problem.offset), message: problem.message });
    }
    this.data = this.syntaxErrors.length === 0 ? toData(this.#root, aliases.targets) : undefined;
  }

  /** Where the value at `path` starts; falls back to the nearest existing ancestor. */
  valueAt(path: readonly PropertyKey[]): Position {
    return this.#position(this.#find(path).node?.range?.[0] ?? 0);
  }

  /** Where the key of the entry at `path` starts (for unknown-key errors). */
  keyAt(path: readonly PropertyKey[]): Position {
    const found = this.#find(path);
    if (found.exact && found.keyNode) return this.#position(found.keyNode.range?.[0] ?? 0);
    return this.#position(found.node?.range?.[0] ?? 0);
  }

  /** Whether a value exists at `path`. */
  has(path: readonly PropertyKey[]): boolean {
    return this.#find(path).exact;
  }

  /**
   * Position of character `offset` inside the string scalar at `path`, when the scalar is
   * on one line (plain or quoted); otherwise the scalar's start.
   */
  insideString(path: readonly PropertyKey[], offset: number): Position {
    const { node, exact } = this.#find(path);
    if (!exact || !isScalar(node) || !node.range) return this.valueAt(path);
    const start = node.range[0];
    const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
    const plainOrQuoted = quoted || node.type === "PLAIN";
    const source = String(node.source ?? "");
    if (!plainOrQuoted || source.includes("\n") || source.includes("\\")) {
      return this.#position(start);
    }
    return this.#position(start + offset + (quoted ? 1 : 0));
  }

  #find(path: readonly PropertyKey[]): { node: Node | null; keyNode: Node | null; exact: boolean } {
    let node: Node | null = this.#root;
    let keyNode: Node | null = null;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) =>
          isPair(p) && isScalar(p.key) && p.key.value === segment
        );
        if (!pair) return { node, keyNode: null, exact: false };
        keyNode = pair.key as Node;
        // `key:` with no value: point at the key.
        node = (pair.value as Node | null) ?? keyNode;
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
        node = node.items[segment] as Node;
        keyNode = null;
      } else {
        return { node, keyNode: null, exact: false };
      }
    }
    return { node, keyNode, exact: true };
  }

  #position(offset: number): Position {
    // The last line that starts at or before `offset` (binary search).
    const starts = this.#lines;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo] + 1 };
  }
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0].replace(/ at line \d+, column \d+:?$/, "");
}
