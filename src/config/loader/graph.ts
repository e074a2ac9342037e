/**
 * The graph questions the checks ask, in time linear in the graph: is there a cycle, and is
 * one task upstream of another. Neither recurses, so a 100,000-task chain cannot overflow
 * the stack (`core/graph.ts`'s recursive findCycle does past about 10,000 levels).
 *
 * @module
 */

/**
 * A cycle as a path `a, b, c, a`, or null. Deterministic: nodes and their edges are visited
 * in order, giving the same cycle as `core/graph.ts`'s findCycle. Edges to nodes that are
 * not keys of `deps` are ignored.
 */
export function findCycle(deps: ReadonlyMap<string, readonly string[]>): string[] | null {
  const VISITING = 1;
  const DONE = 2;
  const state = new Map<string, number>();
  const path: string[] = [];
  const nextEdge: number[] = [];
  for (const start of deps.keys()) {
    if (state.has(start)) continue;
    state.set(start, VISITING);
    path.push(start);
    nextEdge.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const edges = deps.get(path[top]) ?? [];
      if (nextEdge[top] >= edges.length) {
        state.set(path[top], DONE);
        path.pop();
        nextEdge.pop();
        continue;
      }
      const next = edges[nextEdge[top]++];
      const s = state.get(next);
      if (s === VISITING) return [...path.slice(path.indexOf(next)), next];
      if (s === undefined && deps.has(next)) {
        state.set(next, VISITING);
        path.push(next);
        nextEdge.push(0);
      }
    }
  }
  return null;
}

/**
 * Whether a task is upstream of another (a dependency, directly or through others). A
 * direct dependency is answered at once; otherwise the tasks downstream of the upstream
 * one are found once (a walk over the reversed edges) and kept for the next question
 * about it. Templates mostly name a direct dependency, or a few tasks many times, so this
 * stays linear where a set of ancestors per task was quadratic (a 10,000-task chain: 50
 * million set entries).
 */
export class Upstream {
  readonly #deps: ReadonlyMap<string, readonly string[]>;
  readonly #direct = new Map<string, Set<string>>();
  readonly #downstream = new Map<string, Set<string>>();
  #dependents: Map<string, string[]> | null = null;

  /** The graph as each task's direct dependencies. */
  constructor(deps: ReadonlyMap<string, readonly string[]>) {
    this.#deps = deps;
  }

  /** Whether `upstream` is a dependency of `task`, directly or through others. */
  has(task: string, upstream: string): boolean {
    let direct = this.#direct.get(task);
    if (direct === undefined) {
      direct = new Set(this.#deps.get(task) ?? []);
      this.#direct.set(task, direct);
    }
    if (direct.has(upstream)) return true;
    return this.#below(upstream).has(task);
  }

  /** Every task that depends on `task`, directly or through others. */
  #below(task: string): Set<string> {
    const known = this.#downstream.get(task);
    if (known) return known;
    if (this.#dependents === null) {
      this.#dependents = new Map();
      for (const [id, deps] of this.#deps) {
        for (const dep of deps) {
          const list = this.#dependents.get(dep);
          if (list) list.push(id);
          else this.#dependents.set(dep, [id]);
        }
      }
    }
    const seen = new Set<string>();
    const todo = [task];
    while (todo.length > 0) {
      for (const next of this.#dependents.get(todo.pop()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
    this.#downstream.set(task, seen);
    return seen;
  }
}
