/**
 * Graph helpers shared by the YAML loader and the builders.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { findCycle } from "./graph.ts";
 *
 * assert.equal(findCycle(new Map([["load", ["extract"]], ["extract", []]])), null);
 * assert.deepEqual(findCycle(new Map([["a", ["b"]], ["b", ["a"]]])), ["a", "b", "a"]);
 * ```
 *
 * @module
 */

/** A cycle as a path `a, b, c, a`, or null. Deterministic: tasks are visited in order. */
export function findCycle(deps: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "visiting");
    stack.push(node);
    for (const next of deps.get(node) ?? []) {
      const s = state.get(next);
      if (s === "visiting") return [...stack.slice(stack.indexOf(next)), next];
      if (s === undefined && deps.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of deps.keys()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return null;
}
