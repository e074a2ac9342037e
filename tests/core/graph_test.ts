/**
 * `findCycle()`: cycles as paths that start and end on the same node, found in a stable
 * order; dependencies on nodes outside the graph are not followed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { findCycle } from "../../src/core/graph.ts";

/** A graph from `[node, deps]` pairs, in that order. */
const graph = (...edges: [string, string[]][]) => new Map(edges);

Deno.test("findCycle(): returns null for an empty graph", () => {
  assert.equal(findCycle(new Map()), null);
});

Deno.test("findCycle(): returns null for a DAG, diamonds included", () => {
  const deps = graph(["a", []], ["b", ["a"]], ["c", ["a"]], ["d", ["b", "c"]]);
  assert.equal(findCycle(deps), null);
});

Deno.test("findCycle(): finds a node that depends on itself", () => {
  assert.deepEqual(findCycle(graph(["a", ["a"]])), ["a", "a"]);
});

Deno.test("findCycle(): gives a longer cycle as a closed path", () => {
  assert.deepEqual(findCycle(graph(["a", ["b"]], ["b", ["c"]], ["c", ["a"]])), [
    "a",
    "b",
    "c",
    "a",
  ]);
});

Deno.test("findCycle(): leaves the path that leads into the cycle out", () => {
  const deps = graph(["entry", ["x"]], ["x", ["y"]], ["y", ["x"]]);
  assert.deepEqual(findCycle(deps), ["x", "y", "x"]);
});

Deno.test("findCycle(): does not follow dependencies on unknown nodes", () => {
  assert.equal(findCycle(graph(["a", ["missing"]], ["b", ["a", "elsewhere"]])), null);
});

Deno.test("findCycle(): reports the cycle met first in the map's order, the same each time", () => {
  const deps = graph(["p", ["q"]], ["q", ["p"]], ["a", ["b"]], ["b", ["a"]]);
  assert.deepEqual(findCycle(deps), ["p", "q", "p"]);
  // The same graph again gives the same answer.
  assert.deepEqual(findCycle(deps), ["p", "q", "p"]);
});

Deno.test("findCycle(): walks a chain 2,000 tasks deep", () => {
  // Listed from the far end, so the walk goes down the whole chain from the first node.
  const deps = new Map<string, string[]>();
  for (let i = 1999; i >= 0; i--) deps.set(`t${i}`, i === 0 ? [] : [`t${i - 1}`]);
  assert.equal(findCycle(deps), null);
});
