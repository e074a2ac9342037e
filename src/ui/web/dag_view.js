/**
 * The task graph as SVG: one node per task with its id, one edge per `depends_on`, laid out
 * by `dag_layout.js`; on a run's page each node has its task's status colour and links to
 * that task's logs. A wide graph scrolls inside its own box.
 *
 * @module
 */

import { h, s } from "./dom.js";
import { layoutDag, NODE_H, NODE_W } from "./dag_layout.js";

/** Longest id shown whole in a node (about 7 px per character at 13 px). */
const MAX_CHARS = Math.floor((NODE_W - 20) / 7);

/** Below this width the graph is drawn top to bottom (as the tables stack). */
const NARROW = "(max-width: 759px)";

/**
 * The graph of `tasks` (`[{id, depends_on}]`). `statusOf(id)` gives a node's status class
 * (or null), `hrefOf(id)` makes the node a link (or null).
 */
export function dagView(tasks, { statusOf = () => null, hrefOf = () => null } = {}) {
  const layout = layoutDag(tasks, { vertical: matchMedia(NARROW).matches });
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const svg = s("svg", {
    class: "dag",
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: "img",
    "aria-label": `task graph: ${tasks.length} tasks, ${layout.edges.length} dependencies`,
  });
  svg.append(s(
    "defs",
    {},
    s(
      "marker",
      {
        id: "dag-arrow",
        viewBox: "0 0 8 8",
        refX: 8,
        refY: 4,
        markerWidth: 7,
        markerHeight: 7,
        orient: "auto",
      },
      s("path", { d: "M0,0 L8,4 L0,8 z", class: "arrowhead" }),
    ),
  ));
  for (const { from, to } of layout.edges) {
    const a = at.get(from);
    const b = at.get(to);
    let d;
    if (layout.vertical) {
      const [x1, y1, x2, y2] = [a.x + NODE_W / 2, a.y + NODE_H, b.x + NODE_W / 2, b.y - 2];
      const mid = (y1 + y2) / 2;
      d = `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`;
    } else {
      const [x1, y1, x2, y2] = [a.x + NODE_W, a.y + NODE_H / 2, b.x - 2, b.y + NODE_H / 2];
      const mid = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
    }
    svg.append(s("path", {
      class: "edge",
      d,
      "marker-end": "url(#dag-arrow)",
      "data-from": from,
      "data-to": to,
    }));
  }
  for (const node of layout.nodes) {
    const status = statusOf(node.id);
    const label = node.id.length > MAX_CHARS ? `${node.id.slice(0, MAX_CHARS - 1)}…` : node.id;
    const g = s(
      "g",
      {
        class: ["node", status && `st-${status}`],
        transform: `translate(${node.x},${node.y})`,
        "data-task": node.id,
      },
      s("title", {}, status ? `${node.id}: ${status}` : node.id),
      s("rect", { width: NODE_W, height: NODE_H, rx: 6 }),
      s("text", { x: 10, y: NODE_H / 2 + 4.5 }, label),
    );
    const href = hrefOf(node.id);
    svg.append(href ? s("a", { href, "aria-label": `task ${node.id}` }, g) : g);
  }
  return h("div", { class: "dag-box" }, svg);
}
