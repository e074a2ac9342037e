/**
 * Architecture checks over the source tree: no import cycles under `src/`, and `src/core`
 * imports nothing from the other `src/` folders (dependencies point down: cli/api/ui →
 * scheduler → exec → storage/events → core).
 *
 * Imports are read with regular expressions, not a parser: static `import … from`,
 * `import type … from`, `export … from`, side-effect `import "…"` and dynamic `import("…")`
 * with a literal relative specifier. Comments are dropped first so module-doc examples do
 * not count. Needs `--allow-read`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The tree that is checked. */
const SRC = join(ROOT, "src");

/** Every `.ts` file under `dir`, as absolute paths. */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await tsFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** The source without block comments and whole-line `//` comments (strings may hold `//`). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * Specifiers of a module's static and dynamic imports and re-exports: `… from "x"` (import,
 * import type, export, export type, export *), `import "x"` and `import("x")`.
 */
function importSpecifiers(source: string): string[] {
  const code = withoutComments(source);
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*[,)]/g,
  ];
  return patterns.flatMap((re) => [...code.matchAll(re)].map((m) => m[1]));
}

/** File → the files under src/ it imports through relative specifiers (paths from the root). */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await tsFiles(SRC)) {
    const targets = importSpecifiers(await Deno.readTextFile(file))
      .filter((s) => s.startsWith("./") || s.startsWith("../"))
      .map((s) => resolve(dirname(file), s))
      .filter((target) => target.startsWith(SRC + "/"))
      .map((target) => relative(ROOT, target));
    graph.set(relative(ROOT, file), [...new Set(targets)].sort());
  }
  return graph;
}

/** One cycle per strongly connected component with a loop, as `a → b → … → a`. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm; the graph has a few hundred nodes, recursion depth is no concern.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) components.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => cycleWithin(graph, new Set(component)));
}

/** A concrete cycle through the first (sorted) node of a strongly connected component. */
function cycleWithin(graph: ReadonlyMap<string, readonly string[]>, nodes: Set<string>): string[] {
  const start = [...nodes].sort()[0];
  // Breadth-first from start's successors back to start gives a shortest cycle.
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!nodes.has(w) || parent.has(w)) continue;
      parent.set(w, v);
      if (w === start) {
        const path = [start];
        for (let at = parent.get(start)!; at !== start; at = parent.get(at)!) path.unshift(at);
        return [start, ...path];
      }
      queue.push(w);
    }
  }
  return [start, start];
}

Deno.test("importSpecifiers: finds static, type-only, re-export and dynamic imports", () => {
  const source = [
    '/** ```ts\n * import { x } from "./doc_example.ts";\n * ``` */',
    'import { a } from "./a.ts";',
    'import type {\n  B,\n  C,\n} from "../b.ts";',
    'export { d } from "./d.ts";',
    'export type * from "./e.ts";',
    'import "./side_effect.ts";',
    'const { f } = await import("./f.ts");',
    '// import { g } from "./commented_out.ts";',
    'const url = "https://example.com/x"; import { h } from "jsr:@std/h";',
  ].join("\n");
  assert.deepEqual(importSpecifiers(source).sort(), [
    "../b.ts",
    "./a.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./side_effect.ts",
    "jsr:@std/h",
  ]);
});

Deno.test("findCycles: reports each cycle once, as a closed path", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a", "d"]],
    ["d", []],
    ["e", ["e"]],
  ]);
  assert.deepEqual(findCycles(graph), [["a", "b", "c", "a"], ["e", "e"]]);
  assert.deepEqual(findCycles(new Map([["a", ["b"]], ["b", []]])), []);
});

Deno.test("src/: no import cycles", async () => {
  const graph = await importGraph();
  assert.ok(graph.size > 50, `only ${graph.size} modules found under ${SRC}`);
  const cycles = findCycles(graph);
  assert.equal(
    cycles.length,
    0,
    `import cycles (the consumer should declare the interface it needs):\n` +
      cycles.map((c) => "  " + c.join(" → ")).join("\n"),
  );
});

/**
 * The bottom layers: `schedule/` (time: cron, durations) is a leaf; `core/` (the job model,
 * views, templates) builds on it only. Everything else may use both.
 */
const LOWER_LAYERS: Record<string, readonly string[]> = {
  "src/schedule/": [],
  "src/core/": ["src/schedule/"],
};

for (const [layer, allowed] of Object.entries(LOWER_LAYERS)) {
  Deno.test(`${layer}: imports nothing from the src folders above it`, async () => {
    const graph = await importGraph();
    const outside: string[] = [];
    for (const [file, targets] of graph) {
      if (!file.startsWith(layer)) continue;
      for (const target of targets) {
        const ok = target.startsWith(layer) || allowed.some((a) => target.startsWith(a));
        if (!ok) outside.push(`${file} → ${target}`);
      }
    }
    assert.deepEqual(outside, [], `${layer} must not import from above it:\n${outside.join("\n")}`);
  });
}

/**
 * Specifiers a module loads when it is evaluated: static `import … from` and `export … from`
 * that are not type-only (`import type`, `export type` are erased), and `import "x"`.
 * Dynamic `import()` is left out: it loads only when that code runs.
 */
function runtimeSpecifiers(source: string): string[] {
  const code = withoutComments(source);
  const out: string[] = [];
  for (
    const m of code.matchAll(/\b(import|export)\s+(type\s+)?([^;]*?)\bfrom\s*["']([^"']+)["']/g)
  ) {
    if (m[2] === undefined) out.push(m[4]);
  }
  for (const m of code.matchAll(/\bimport\s*["']([^"']+)["']/g)) out.push(m[1]);
  return out;
}

/** The packages the long-lived `pt run` process must not load (issue 11, bench/README.md). */
const KEPT_OUT_OF_PT_RUN = ["zod", "yaml", "js-yaml", "commander", "smol-toml"];

Deno.test("runtimeSpecifiers: static value imports only, not type-only or dynamic ones", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "./b.ts";',
    'import { type C, d } from "./cd.ts";',
    'export type { E } from "./e.ts";',
    'export { f } from "./f.ts";',
    'import "./g.ts";',
    'const h = await import("./h.ts");',
  ].join("\n");
  assert.deepEqual(runtimeSpecifiers(source).sort(), ["./a.ts", "./cd.ts", "./f.ts", "./g.ts"]);
});

/** The modules a process loads at start-up from `roots` (under src/), static imports only. */
async function reached(roots: string[]): Promise<{ seen: Set<string>; offending: string[] }> {
  const todo = roots.map((f) => join(SRC, f));
  const seen = new Set<string>();
  const offending: string[] = [];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of runtimeSpecifiers(await Deno.readTextFile(file))) {
      if (spec.startsWith("./") || spec.startsWith("../")) {
        todo.push(resolve(dirname(file), spec));
      } else if (KEPT_OUT_OF_PT_RUN.some((p) => spec === p || spec.startsWith(`${p}/`))) {
        offending.push(`${relative(ROOT, file)} → ${spec}`);
      }
    }
  }
  return { seen, offending };
}

Deno.test("pt run: the scheduler's process loads none of commander, the parsers or zod", async () => {
  // From main.ts through `run`: lean.ts, then (imported once the loader process has
  // answered) the scheduler and the API's server; the API's routes load on the first request.
  const { seen, offending } = await reached([
    "main.ts",
    "cli/run/lean.ts",
    "cli/run/serve.ts",
    "api/server.ts",
  ]);
  assert.ok(seen.size > 50, `only ${seen.size} modules reached`);
  assert.deepEqual(offending, [], "imported at start-up by `pt run`:\n" + offending.join("\n"));
});
