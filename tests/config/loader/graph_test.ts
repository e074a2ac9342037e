/**
 * Tests of graph.ts: cycles and upstream tasks without recursion, the same answers as the
 * plain algorithms, and big task lists that load in linear time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { findCycle as recursiveFindCycle } from "../../../src/core/graph.ts";
import { findCycle, Upstream } from "../../../src/config/loader/graph.ts";
import { formatConfigError } from "../../../src/config/errors.ts";
import { loadJobTexts as loadTexts, type LoadResult } from "../../../src/config/loader/mod.ts";
import { load, yaml } from "./helpers.ts";
import { assertLinear } from "../../growth.ts";

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random graph of `n` nodes, some edges to nodes that are not in it. */
function randomGraph(next: () => number, n: number, acyclic: boolean): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const edges: string[] = [];
    const count = Math.floor(next() * 4);
    for (let k = 0; k < count; k++) {
      const target = Math.floor(next() * (n + 2));
      if (acyclic && target >= i && target < n) continue;
      if (target !== i) edges.push(`n${target}`);
    }
    deps.set(`n${i}`, edges);
  }
  return deps;
}

/** Every ancestor of `task`, the plain way. */
function ancestors(task: string, deps: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [...(deps.get(task) ?? [])];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(deps.get(next) ?? []));
  }
  return seen;
}

/** A chain of `n` tasks, each depending on the one before; listed last first if `reverse`. */
function chain(n: number, reverse = false): string {
  const tasks: string[][] = [];
  for (let i = 0; i < n; i++) {
    const lines = [`  - id: t${i}`, "    command: echo"];
    if (i > 0) {
      lines.push(`    args: ["{{ tasks.t${i - 1}.stdout }}"]`, `    depends_on: [t${i - 1}]`);
    }
    tasks.push(lines);
  }
  if (reverse) tasks.reverse();
  return yaml("id: chain", "tasks:", ...tasks.flat());
}

Deno.test("findCycle: the same cycle as the recursive findCycle of core/graph.ts", () => {
  const next = random(7);
  for (let round = 0; round < 500; round++) {
    const deps = randomGraph(next, 1 + Math.floor(next() * 12), next() < 0.3);
    assert.deepEqual(findCycle(deps), recursiveFindCycle(deps), JSON.stringify([...deps]));
  }
});

Deno.test("findCycle: a 100,000-node chain does not overflow the stack", () => {
  const deps = new Map<string, string[]>();
  for (let i = 100_000; i >= 0; i--) deps.set(`t${i}`, i > 0 ? [`t${i - 1}`] : []);
  assert.equal(findCycle(deps), null);
  deps.set("t0", ["t100000"]);
  assert.equal(findCycle(deps)?.length, 100_002);
});

Deno.test("Upstream: the same answers as the set of ancestors", () => {
  const next = random(11);
  for (let round = 0; round < 200; round++) {
    const deps = randomGraph(next, 1 + Math.floor(next() * 15), next() < 0.5);
    const upstream = new Upstream(deps);
    for (const task of deps.keys()) {
      const all = ancestors(task, deps);
      for (const other of [...deps.keys(), "absent"]) {
        assert.equal(upstream.has(task, other), all.has(other), `${task} ← ${other}`);
      }
    }
  }
});

Deno.test("loader: a task chain loads in linear time (1,000 vs 10,000 tasks)", () => {
  // Before: a set of ancestors per task, 25 s for 20,000 here (120 s reported): 100× the time
  // for 10× the tasks. Compared with itself at a tenth of the size, so that neither a loaded
  // CI machine nor qemu (20–100× slower) decides; the figures are in bench/validate_big.ts.
  // The loader alone is timed: the helpers' JSON Schema check is the test's, not Petit's.
  let last: LoadResult | null = null;
  assertLinear(chain, (text) => (last = loadTexts([{ file: "job.yaml", text }])), 1_000);
  assert.deepEqual(last!.errors, []);
  assert.equal(last!.jobs[0].tasks.length, 10_000);
});

Deno.test("loader: a 20,000-task chain listed last task first loads (no stack overflow)", () => {
  const result = load(chain(20_000, true));
  assert.deepEqual(result.errors.map(formatConfigError), []);
  assert.equal(result.jobs[0].tasks.length, 20_000);
});

Deno.test("loader: a template naming a task upstream through others, or not at all", () => {
  const result = load(yaml(
    "id: j",
    "tasks:",
    "  - id: a",
    "    command: echo",
    "  - id: b",
    "    command: echo",
    "    depends_on: [a]",
    "  - id: c",
    '    command: "{{ tasks.a.stdout }}"',
    "    depends_on: [b]",
    "  - id: d",
    '    command: "{{ tasks.c.stdout }}"',
    "    depends_on: [a]",
  ));
  assert.deepEqual(result.errors.map(formatConfigError), [
    'job.yaml:12:15: {{ tasks.c.stdout }} refers to task "c", which is not upstream of "d" ' +
    "(add it to depends_on)",
  ]);
});
