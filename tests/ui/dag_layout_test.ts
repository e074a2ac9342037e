/**
 * The task graph's layout (`src/ui/web/dag_layout.js`): a column per dependency depth, one
 * node per task, an edge per dependency, nothing overlapping.
 *
 * @module
 */

import assert from "node:assert/strict";
import { layoutDag, NODE_H, NODE_W } from "../../src/ui/web/dag_layout.js";

const DIAMOND = [
  { id: "extract", depends_on: [] },
  { id: "transform", depends_on: ["extract"] },
  { id: "validate", depends_on: ["extract"] },
  { id: "load", depends_on: ["transform", "validate"] },
  { id: "report", depends_on: ["load", "extract"] },
];

interface Node {
  id: string;
  depth: number;
  x: number;
  y: number;
}

function overlaps(nodes: Node[]): boolean {
  return nodes.some((a, i) =>
    nodes.slice(i + 1).some((b) =>
      a.x < b.x + NODE_W && b.x < a.x + NODE_W && a.y < b.y + NODE_H && b.y < a.y + NODE_H
    )
  );
}

Deno.test("layoutDag(): a column per longest chain of dependencies, an edge per dependency", () => {
  const layout = layoutDag(DIAMOND);
  const depth = Object.fromEntries(layout.nodes.map((n: Node) => [n.id, n.depth]));
  assert.deepEqual(depth, { extract: 0, transform: 1, validate: 1, load: 2, report: 3 });
  assert.equal(layout.nodes.length, 5);
  assert.equal(layout.edges.length, 6);
  assert.equal(overlaps(layout.nodes), false);
  for (const n of layout.nodes as Node[]) {
    assert.ok(n.x >= 0 && n.x + NODE_W <= layout.width, n.id);
    assert.ok(n.y >= 0 && n.y + NODE_H <= layout.height, n.id);
  }
  // Left to right by depth.
  const x = Object.fromEntries(layout.nodes.map((n: Node) => [n.id, n.x]));
  assert.ok(x.extract < x.transform && x.transform < x.load && x.load < x.report);
});

Deno.test("layoutDag(): vertical for narrow screens, top to bottom by depth", () => {
  const layout = layoutDag(DIAMOND, { vertical: true });
  const y = Object.fromEntries(layout.nodes.map((n: Node) => [n.id, n.y]));
  assert.ok(y.extract < y.transform && y.transform < y.load && y.load < y.report);
  assert.equal(overlaps(layout.nodes), false);
  assert.ok(layout.width < layoutDag(DIAMOND).width);
});

Deno.test("layoutDag(): no tasks, unknown dependencies and cycles do not break it", () => {
  assert.deepEqual(layoutDag([]), { nodes: [], edges: [], width: 0, height: 0, vertical: false });
  const odd = layoutDag([
    { id: "a", depends_on: ["ghost"] },
    { id: "b", depends_on: ["c"] },
    { id: "c", depends_on: ["b"] },
  ]);
  assert.equal(odd.nodes.length, 3);
  assert.equal(odd.edges.length, 2);
  assert.equal(overlaps(odd.nodes), false);
});
