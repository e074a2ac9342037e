/**
 * The DAGs the benchmarks run through Petit and through `ninja` (`dag.ts`, `issue11.ts`): a
 * chain and a fan-out/fan-in of `true` tasks, as a job file and as a build.ninja, and the tools
 * they need from Debian.
 *
 * @module
 */

/** A DAG: task ids in file order with their dependencies. */
export interface Graph {
  /** The job's id (and folder name). */
  name: string;
  /** Task ids in file order with their dependencies. */
  tasks: { id: string; deps: string[] }[];
}

/** A chain (each task after the one before) or a fan (root → n − 2 middle tasks → sink). */
export type Shape = "chain" | "fan";

/** The `shape` of `n` tasks, named `name` (default `<shape><n>`); one task is a chain. */
export function graph(shape: Shape, n: number, name = `${shape}${n}`): Graph {
  if (shape === "chain" || n === 1) {
    return {
      name,
      tasks: Array.from({ length: n }, (_, i) => ({
        id: `t${i}`,
        deps: i === 0 ? [] : [`t${i - 1}`],
      })),
    };
  }
  const middle = Array.from({ length: n - 2 }, (_, i) => `m${i}`);
  return {
    name,
    tasks: [
      { id: "root", deps: [] },
      ...middle.map((id) => ({ id, deps: ["root"] })),
      { id: "sink", deps: middle },
    ],
  };
}

/** The job file of `g`: every task `command: "true"`. */
export function jobYaml(g: Graph): string {
  const lines = [`id: ${g.name}`, "tasks:"];
  for (const t of g.tasks) {
    lines.push(`  - id: ${t.id}`, `    command: "true"`);
    if (t.deps.length) lines.push(`    depends_on: [${t.deps.join(", ")}]`);
  }
  return lines.join("\n") + "\n";
}

/** The build.ninja of `g`: `rule t` / `command = true`, dependencies as order-only edges. */
export function ninjaFile(g: Graph): string {
  const lines = ["rule t", "  command = true", ""];
  for (const t of g.tasks) {
    lines.push(`build ${t.id}: t` + (t.deps.length ? ` || ${t.deps.join(" ")}` : ""));
  }
  lines.push(`default ${g.tasks.map((t) => t.id).join(" ")}`, "");
  return lines.join("\n");
}

/** The path of `name` in PATH, or null. */
export function findInPath(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      const path = `${dir}/${name}`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return null;
}

/** Finds `binary`, installing the Debian package `pkg` with apt-get when it is missing. */
export async function ensureTool(binary: string, pkg: string): Promise<string | null> {
  const found = findInPath(binary);
  if (found) return found;
  console.error(`${binary} not found: apt-get install -y ${pkg}`);
  try {
    const out = await new Deno.Command("apt-get", {
      args: ["install", "-y", pkg],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr).trim();
      console.error(text.split("\n").slice(-3).join("\n"));
    }
  } catch (err) {
    console.error(`apt-get failed: ${String(err)}`);
  }
  return findInPath(binary);
}
