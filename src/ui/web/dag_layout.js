/**
 * Where the task graph's nodes go: one column per dependency depth (the longest chain of
 * `depends_on` above a task), left to right, or one row per depth, top to bottom, for narrow
 * screens (`vertical`); within a depth, tasks sorted by the mean place of their dependencies
 * (one sweep, which removes most crossings of small graphs), then by file order. Pure: the
 * page draws the result as SVG (`dag_view.js`).
 *
 * @module
 */

/** Node size and gaps in px. */
export const NODE_W = 150;
export const NODE_H = 34;
/** Gap between depths, and between the nodes of one depth, in px. */
const DEPTH_GAP = { horizontal: 48, vertical: 36 };
const SIDE_GAP = 14;
const PAD = 6;

/**
 * Lays out tasks `[{id, depends_on}]` (dependencies on unknown ids are ignored); node `x`
 * and `y` are their top left corners.
 *
 * @returns {{nodes: {id: string, depth: number, row: number, x: number, y: number}[],
 *   edges: {from: string, to: string}[], width: number, height: number, vertical: boolean}}
 */
export function layoutDag(tasks, { vertical = false } = {}) {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const parents = (id) => (byId.get(id)?.depends_on ?? []).filter((d) => byId.has(d));
  const depth = new Map();
  const visiting = new Set();
  const depthOf = (id) => {
    if (depth.has(id)) return depth.get(id);
    if (visiting.has(id)) return 0; // a cycle (jobs are validated acyclic): cut it here
    visiting.add(id);
    const ps = parents(id);
    const d = ps.length === 0 ? 0 : 1 + Math.max(...ps.map(depthOf));
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const columns = [];
  for (const t of tasks) (columns[depthOf(t.id)] ??= []).push(t.id);

  const row = new Map();
  columns.forEach((column, d) => {
    let ordered = column;
    if (d > 0) {
      const key = (id) => {
        const ps = parents(id).filter((p) => row.has(p));
        return ps.length === 0 ? 1e9 : ps.reduce((sum, p) => sum + row.get(p), 0) / ps.length;
      };
      ordered = column.map((id, i) => ({ id, i, k: key(id) }))
        .sort((a, b) => a.k - b.k || a.i - b.i)
        .map((x) => x.id);
      columns[d] = ordered;
    }
    ordered.forEach((id, i) => row.set(id, i));
  });

  const rows = Math.max(0, ...columns.map((c) => c.length));
  const depths = columns.length;
  // Along the depth axis and across it, for either direction.
  const along = vertical ? NODE_H + DEPTH_GAP.vertical : NODE_W + DEPTH_GAP.horizontal;
  const across = vertical ? NODE_W + SIDE_GAP : NODE_H + SIDE_GAP;
  const nodes = [];
  columns.forEach((column, d) => {
    const offset = (rows - column.length) / 2;
    column.forEach((id, i) => {
      const a = PAD + d * along;
      const b = PAD + (i + offset) * across;
      nodes.push({ id, depth: d, row: i, x: vertical ? b : a, y: vertical ? a : b });
    });
  });
  const edges = tasks.flatMap((t) => parents(t.id).map((from) => ({ from, to: t.id })));
  const alongSize = depths === 0
    ? 0
    : 2 * PAD + depths * along - (along - (vertical ? NODE_H : NODE_W));
  const acrossSize = rows === 0 ? 0 : 2 * PAD + rows * across - SIDE_GAP;
  return {
    nodes,
    edges,
    width: vertical ? acrossSize : alongSize,
    height: vertical ? alongSize : acrossSize,
    vertical,
  };
}
