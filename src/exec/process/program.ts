/**
 * Finding the program of a spawn the way execvp would, so a missing program is reported
 * before anything is spawned (the `setsid` path needs an absolute path), and turning spawn
 * errors into the messages tasks fail with. Needs --allow-read for the lookups.
 *
 * @module
 */

/**
 * PATH used to look programs up when the child's environment has none.
 *
 * @default {"/usr/local/bin:/usr/bin:/bin"}
 */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Resolved program paths by PATH and name: a stat per spawn only on the first use. */
const resolved = new Map<string, string>();

/**
 * Finds `program` the way execvp would (names without "/" are looked up in `PATH`), so a
 * missing program is reported before anything is spawned. Null when not found.
 */
export function resolveProgram(
  program: string,
  env: Record<string, string>,
  cwd?: string,
): string | null {
  if (program.includes("/")) {
    const path = program.startsWith("/") ? program : `${cwd ?? Deno.cwd()}/${program}`;
    return isExecutableFile(path) ? path : null;
  }
  const pathVar = env.PATH ?? DEFAULT_PATH;
  const key = `${pathVar}\0${program}`;
  const hit = resolved.get(key);
  if (hit !== undefined && isExecutableFile(hit)) return hit;
  for (const dir of pathVar.split(":")) {
    const path = `${dir || "."}/${program}`;
    if (isExecutableFile(path)) {
      if (dir.startsWith("/")) resolved.set(key, path);
      return path;
    }
  }
  return null;
}

/**
 * The error a direct spawn of an unresolvable `program` would have thrown: PermissionDenied
 * for a path to a file that is not executable, NotFound otherwise.
 */
export function unresolvedError(program: string, cwd?: string): Error {
  const direct = program.includes("/")
    ? (program.startsWith("/") ? program : `${cwd ?? Deno.cwd()}/${program}`)
    : null;
  return direct !== null && existsFile(direct)
    ? new Deno.errors.PermissionDenied("program")
    : new Deno.errors.NotFound("program");
}

/** Maps a spawn error to a startError message. */
export async function describeStartError(
  e: unknown,
  program: string,
  cwd?: string,
): Promise<string> {
  if (e instanceof Deno.errors.NotFound) {
    // Deno reports a missing cwd as NotFound too: look at the cwd only now, off the hot path.
    if (cwd !== undefined) {
      try {
        const st = await Deno.stat(cwd);
        if (!st.isDirectory) return `working directory is not a directory: ${cwd}`;
      } catch {
        return `working directory not found: ${cwd}`;
      }
    }
    return `program not found: ${program}`;
  }
  if (e instanceof Deno.errors.PermissionDenied) return `permission denied: ${program}`;
  if (e instanceof Deno.errors.NotCapable) {
    return "Deno has no permission to run programs (grant --allow-run)";
  }
  return `cannot start ${program}: ${e instanceof Error ? e.message : String(e)}`;
}

function isExecutableFile(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && (st.mode === null || (st.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
