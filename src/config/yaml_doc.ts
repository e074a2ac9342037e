/**
 * A parsed YAML file that remembers where each node is, so any problem can be reported
 * as file:line:col.
 *
 * @module
 */

import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import process from "node:process";
import type { ConfigError } from "./errors.ts";

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

/** A 1-based source position. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** A YAML file parsed to plain data, with node lookups by path. */
export class YamlFile {
  readonly file: string;
  /** The document as plain JS data (undefined when the file is empty). */
  readonly data: unknown;
  /** Syntax errors; when non-empty, `data` must not be trusted. */
  readonly syntaxErrors: ConfigError[];
  readonly #root: Node | null;
  readonly #lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.#lines = new LineCounter();
    const docs = withPlainEnv(() =>
      parseAllDocuments(text, { lineCounter: this.#lines, prettyErrors: false })
    );
    this.syntaxErrors = [];
    if (!Array.isArray(docs)) {
      // Only comments or nothing at all.
      this.#root = null;
      this.data = undefined;
      return;
    }
    const [doc, ...extra] = docs;
    for (const err of docs.flatMap((d) => d.errors)) {
      const pos = this.#lines.linePos(err.pos[0]);
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
    this.data = this.syntaxErrors.length === 0 && doc
      ? doc.toJS({ maxAliasCount: 1000 })
      : undefined;
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
    const { line, col } = this.#lines.linePos(offset);
    return { line, col };
  }
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0].replace(/ at line \d+, column \d+:?$/, "");
}
