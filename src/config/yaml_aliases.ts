/**
 * A YAML document's aliases: checked before the document is turned into data, then
 * resolved while it is, so that no file can stop a load or make it slow.
 *
 * {@link checkAliases}: an alias without an anchor, an alias inside the collection it names
 * (a cycle), aliases that expand to far more values than the file holds ("billion laughs")
 * and nesting deep enough to overflow the stack of the recursive steps after parsing (zod,
 * the loader's checks) are positioned errors at the alias or the node. One pass over the
 * syntax tree, without recursion: the expanded size and height of every anchored node are
 * known when an alias to it is met, because an anchor comes before its aliases.
 *
 * {@link toData}: the document as plain data, each alias the very value of its anchor (as
 * `npm:yaml`'s `toJS` gives it). `toJS` looks up each alias's anchor by a scan of every
 * anchor and alias before it, which is quadratic: for 10,000 tasks that say
 * `environment: *env` it took 1.6 s, for 40,000 70 s, on the project's VM. Here the lookups
 * are the ones checkAliases made: checking and converting took 46 ms and 86 ms of CPU for
 * those files, beside 250 ms and 1.1 s of parsing.
 *
 * @module
 */

import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
} from "yaml";

/**
 * Values that aliases may add to a file when expanded, whatever the file's size.
 *
 * @default {100_000}
 */
export const MAX_ALIAS_VALUES = 100_000;

/**
 * Values that aliases may add per value written in the file, for big files: a 20,000-task
 * file whose tasks all say `environment: *common` stays well inside it.
 *
 * @default {10}
 */
export const ALIAS_VALUES_PER_VALUE = 10;

/**
 * How deep values may nest, aliases expanded. A job file needs 6 levels; the steps after
 * parsing recurse once per level and overflow the stack at a few thousand.
 *
 * @default {64}
 */
export const MAX_DEPTH = 64;

/** A problem with the node (an alias or a too-deep value) at `offset`. */
export interface AliasProblem {
  /** Offset of the node in the text. */
  readonly offset: number;
  /** What is wrong. */
  readonly message: string;
}

interface Frame {
  readonly node: Node;
  readonly children: Node[];
  readonly depth: number;
  next: number;
  /** Values in this node, aliases expanded. */
  size: number;
  /** Levels below and including this node, aliases expanded. */
  height: number;
}

/** The children of a collection, keys before their values; none for scalars and aliases. */
function childrenOf(node: Node): Node[] {
  if (isSeq(node)) return node.items.filter((n): n is Node => n !== null && n !== undefined);
  if (!isMap(node)) return [];
  const out: Node[] = [];
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    if (pair.key !== null && typeof pair.key === "object") out.push(pair.key as Node);
    if (pair.value !== null && typeof pair.value === "object") out.push(pair.value as Node);
  }
  return out;
}

/** What checkAliases found: the problems in document order, and each alias's anchor. */
export interface AliasCheck {
  /** Alias and nesting problems, in document order. */
  readonly problems: AliasProblem[];
  /** The anchored node each (valid) alias refers to. */
  readonly targets: ReadonlyMap<Alias, Node>;
}

/** Every alias and nesting problem of `doc`, and the node each alias refers to. */
export function checkAliases(doc: Document.Parsed): AliasCheck {
  const root = doc.contents as Node | null;
  const targets = new Map<Alias, Node>();
  if (!root) return { problems: [], targets };
  const problems: AliasProblem[] = [];
  const at = (node: Node, message: string) =>
    problems.push({ offset: node.range?.[0] ?? 0, message });
  /** The latest node with each anchor name, as the document is read. */
  const anchors = new Map<string, Node>();
  /** Size and height of anchored nodes that are complete. */
  const done = new Map<Node, { size: number; height: number }>();
  /** Nodes whose subtree is being walked (an alias to one of them is a cycle). */
  const open = new Set<Node>();
  /** Aliases in document order with the values added so far, to find the one that tips. */
  const added: { node: Node; total: number }[] = [];
  let extra = 0;
  let values = 0;
  let tooDeep = false;

  const stack: Frame[] = [];
  const enter = (node: Node, depth: number): { size: number; height: number } | null => {
    values++;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) {
        at(node, `YAML alias *${node.source} has no anchor &${node.source} before it`);
        return { size: 1, height: 1 };
      }
      if (open.has(target)) {
        at(node, `YAML alias *${node.source} is inside the value it refers to (a cycle)`);
        return { size: 1, height: 1 };
      }
      targets.set(node, target);
      const shape = done.get(target) ?? { size: 1, height: 1 };
      extra += shape.size - 1;
      added.push({ node, total: extra });
      // The first such alias only: every alias to it, or through it, is as deep.
      if (depth + shape.height - 1 > MAX_DEPTH && !tooDeep) {
        tooDeep = true;
        at(node, `YAML alias *${node.source} nests values more than ${MAX_DEPTH} levels deep`);
      }
      return shape;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (depth > MAX_DEPTH) {
      at(node, `values are nested more than ${MAX_DEPTH} levels deep`);
      return { size: 1, height: 1 };
    }
    const children = childrenOf(node);
    if (children.length === 0) {
      if (node.anchor) done.set(node, { size: 1, height: 1 });
      return { size: 1, height: 1 };
    }
    open.add(node);
    stack.push({ node, children, depth, next: 0, size: 1, height: 1 });
    return null;
  };

  enter(root, 1);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      const shape = enter(child, frame.depth + 1);
      if (shape) {
        frame.size += shape.size;
        frame.height = Math.max(frame.height, shape.height + 1);
      }
      continue;
    }
    stack.pop();
    open.delete(frame.node);
    if (frame.node.anchor) done.set(frame.node, { size: frame.size, height: frame.height });
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.size += frame.size;
      parent.height = Math.max(parent.height, frame.height + 1);
    }
  }

  const limit = Math.max(MAX_ALIAS_VALUES, ALIAS_VALUES_PER_VALUE * values);
  if (extra > limit) {
    const tip = added.find((a) => a.total > limit)!;
    const source = isAlias(tip.node) ? tip.node.source : "";
    at(
      tip.node,
      `YAML alias *${source} makes this file's aliases expand to more than ${limit} values ` +
        "(use fewer or smaller aliases)",
    );
  }
  return { problems: problems.sort((a, b) => a.offset - b.offset), targets };
}

/** A `<<` key of a file that asks for YAML 1.1 (`%YAML 1.1`), where it merges maps in. */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === "symbol" && key.value.description === "<<";
}

/**
 * Merges `source` (a map, or a list of maps, earlier ones first) into `map`, as YAML 1.1's
 * merge key does: keys the map already has stay.
 */
function merge(map: Record<string, unknown>, source: unknown): void {
  for (const from of Array.isArray(source) ? source : [source]) {
    if (typeof from !== "object" || from === null || Array.isArray(from)) continue;
    for (const [key, value] of Object.entries(from)) {
      if (!Object.hasOwn(map, key)) {
        Object.defineProperty(map, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
    }
  }
}

/**
 * The value of `node` as plain data, as `npm:yaml`'s `toJS` gives it for a job file: maps as
 * objects (keys as strings, `null` as ""), lists as arrays, scalars as their values, an
 * alias as the same value as its anchor, YAML 1.1's merge keys merged. Only for a tree
 * checkAliases found no problem in: its depth is bounded, so the recursion is too.
 */
export function toData(node: Node | null, targets: ReadonlyMap<Alias, Node>): unknown {
  const anchored = new Map<Node, unknown>();
  const convert = (n: Node | null | undefined): unknown => {
    if (n === null || n === undefined) return null;
    if (isAlias(n)) {
      const target = targets.get(n);
      if (target === undefined) return null;
      return anchored.has(target) ? anchored.get(target) : convert(target);
    }
    let value: unknown;
    if (isScalar(n)) {
      value = typeof n.value === "bigint" ? Number(n.value) : n.value;
    } else if (isSeq(n)) {
      value = n.items.map((item) => convert(item as Node | null));
    } else if (isMap(n)) {
      const map: Record<string, unknown> = {};
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        if (isMergeKey(pair.key)) {
          merge(map, convert(pair.value as Node | null));
          continue;
        }
        const key = convert(pair.key as Node | null);
        const name = key === null
          ? ""
          : typeof key === "object"
          ? JSON.stringify(key)
          : String(key);
        const item = convert(pair.value as Node | null);
        // `__proto__` is a key like any other, not the object's prototype.
        if (name === "__proto__") {
          Object.defineProperty(map, name, {
            value: item,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else map[name] = item;
      }
      value = map;
    } else {
      value = (n as { toJSON?: () => unknown }).toJSON?.();
    }
    if (n.anchor) anchored.set(n, value);
    return value;
  };
  return convert(node);
}
