/**
 * The short-lived loader process of `pt run`, seen from the scheduler's process: `pt` starts
 * itself again (`deno run <permissions> <main module>`, or the compiled binary) to check the
 * options, read the config file and load the jobs folder (`child.ts`), and reads the answer
 * from the child's stdout, one JSON message per line. On a reload the same child loads the
 * folder alone. The scheduler's process so never imports commander, the TOML and YAML
 * parsers or zod (~28 MiB of idle RSS, bench/README.md, issue 11), and its heap keeps
 * nothing of a load; a parse worker thread would leave 10–20 MiB behind in the process.
 *
 * Where `pt` cannot start itself with the same permissions (read or env granted only in
 * part, no --allow-run for the Deno binary), the callers load in this process instead.
 * Needs --allow-run and --allow-read.
 *
 * @module
 */

import { type LoadMessage, SettledAssembler } from "../../config/loader/messages.ts";
import { type LoadResult, type SettledFile, withSchedules } from "../../config/loader/settled.ts";
import type { SshHost } from "../../core/model.ts";
import type { FolderLoader } from "../../scheduler/watch.ts";
import { LOAD_COMMAND, PREPARE_COMMAND, type RunPlan } from "./plan.ts";
import { entryModule } from "../../core/entry.ts";

export { LOAD_COMMAND, PREPARE_COMMAND } from "./plan.ts";

/** The first line of a child's answer; anything else is text for the user (help). */
export const ANSWER_HEADER = "petit-loader 1";

/** One line of a child's answer after the header: the plan (prepare only), then the jobs. */
export type ChildMessage = { readonly kind: "plan"; readonly plan: RunPlan } | LoadMessage;

/** How `pt` starts itself: the program and the arguments before the child's own. */
export function selfCommand(args: readonly string[]): { program: string; args: string[] } | null {
  if (Deno.build.standalone) return { program: Deno.execPath(), args: [...args] };
  const flags = ["run", "--quiet", "--no-prompt"];
  for (const name of ["read", "env", "sys"] as const) {
    let state: Deno.PermissionState;
    try {
      state = Deno.permissions.querySync({ name }).state;
    } catch {
      state = "denied";
    }
    if (state === "granted") flags.push(`--allow-${name}`);
    // Granted in part (or not at all): the child could not get the same access.
    else if (name !== "sys") return null;
  }
  return { program: Deno.execPath(), args: [...flags, entryModule().href, ...args] };
}

/** The lines of a UTF-8 stream, without their "\n". */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}

/** What the prepare child answered: the plan and the settled jobs, or an exit code. */
export type Prepared =
  | { readonly plan: RunPlan; readonly settled: SettledFile[] }
  | { readonly exit: number };

/**
 * Runs the prepare child on `pt run`'s arguments (after `run`). Returns its plan and jobs;
 * or the exit code to end with when it did not give them (help, a usage error: it printed
 * why, and its stdout is passed on); or null when the child cannot be started.
 */
export async function prepareInChild(args: readonly string[]): Promise<Prepared | null> {
  const self = selfCommand([PREPARE_COMMAND, ...args]);
  if (self === null) return null;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(self.program, {
      args: self.args,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch {
    return null;
  }
  const input = lines(child.stdout);
  const first = await input.next();
  if (first.done || first.value !== ANSWER_HEADER) {
    // Help or a usage message: the user's, as it came.
    const encoder = new TextEncoder();
    const out = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
    if (!first.done) out(first.value + "\n");
    for await (const line of input) out(line + "\n");
    return { exit: (await child.status).code };
  }
  let plan: RunPlan | null = null;
  let settled: SettledFile[] | null = null;
  const assembler = new SettledAssembler();
  for await (const line of input) {
    const message = JSON.parse(line) as ChildMessage;
    if (message.kind === "plan") plan = message.plan;
    else settled ??= assembler.add(message);
  }
  const { code } = await child.status;
  if (code !== 0 || plan === null || settled === null) return { exit: code || 1 };
  return { plan, settled };
}

/**
 * Loads the jobs folder for reloads in a loader child (`pt __run-load`). The child is
 * started as soon as a change is seen ({@link ChildLoader.prepare}), so that it boots and
 * imports the loader while the watcher waits for changes to settle; the request (folder and
 * hosts) goes on its stdin. The answer is taken one message per turn of the event loop, so
 * that a big folder never stalls fires or API requests for long. Where no child can be
 * started, loads in a parse worker of this process instead.
 */
export class ChildLoader implements FolderLoader {
  #ready: Deno.ChildProcess | null = null;

  /** Starts the next load's child now, if none is waiting. */
  prepare(): void {
    this.#ready ??= spawnLoader();
  }

  /** Lets a child that was started for nothing end (it exits on an empty request). */
  close(): void {
    const child = this.#ready;
    this.#ready = null;
    child?.stdin.close().catch(() => {});
  }

  /**
   * Loads `dir`. Throws JobsDirError as the loader does, and an Error when the child fails.
   */
  async load(dir: string, hosts: Readonly<Record<string, SshHost>>): Promise<LoadResult> {
    const child = this.#ready ?? spawnLoader();
    this.#ready = null;
    if (child === null) {
      const { loadJobsDirOffThread } = await import("../../config/loader/off_thread.ts");
      return await loadJobsDirOffThread(dir, hosts);
    }
    const request: LoadRequest = { dir, hosts };
    const writer = child.stdin.getWriter();
    const settled = await Promise.all([
      writer.write(new TextEncoder().encode(JSON.stringify(request))).then(() => writer.close()),
      readAnswer(child),
    ]).then(([, files]) => files);
    return withSchedules(settled);
  }
}

/** What the reload child reads on its stdin. */
export interface LoadRequest {
  /** The jobs folder. */
  readonly dir: string;
  /** The config file's `[hosts]`. */
  readonly hosts: Readonly<Record<string, SshHost>>;
}

/** Starts a reload child, or null when `pt` cannot start itself. */
function spawnLoader(): Deno.ChildProcess | null {
  const self = selfCommand([LOAD_COMMAND]);
  if (self === null) return null;
  try {
    return new Deno.Command(self.program, {
      args: self.args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch {
    return null;
  }
}

/** Reads a reload child's answer, one message per turn of the event loop. */
async function readAnswer(child: Deno.ChildProcess): Promise<SettledFile[]> {
  const assembler = new SettledAssembler();
  let settled: SettledFile[] | null = null;
  let failure: unknown = null;
  try {
    const input = lines(child.stdout);
    const first = await input.next();
    if (!first.done && first.value === ANSWER_HEADER) {
      for await (const line of input) {
        settled ??= assembler.add(JSON.parse(line) as LoadMessage);
        // The next message after a turn of the event loop: due timers run first.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } else {
      await input.return(undefined);
    }
  } catch (err) {
    failure = err; // a folder that cannot be listed (JobsDirError), or a broken answer
  }
  const { code } = await child.status;
  if (failure !== null) throw failure;
  if (settled === null) throw new Error(`the loader process exited with ${code}, no jobs sent`);
  return settled;
}
