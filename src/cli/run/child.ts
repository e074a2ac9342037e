/**
 * The loader process of `pt run` (see `loader_process.ts`), started by `pt` itself with a
 * hidden first argument. `__run-prepare <run args>` checks the options of `pt run` with the
 * commander program (same help, same messages, same exit codes), reads the config file,
 * loads the jobs folder and writes the plan and the settled jobs to stdout; `__run-load`
 * loads the folder alone for a reload, the folder and the config file's hosts given on its
 * stdin. Each
 * answer is a header line, then one JSON message per line. Lives only as long as that.
 *
 * Needs --allow-read and --allow-env.
 *
 * @module
 */

import { loadMessages } from "../../config/loader/off_thread.ts";
import { UsageError } from "../output.ts";
import { ANSWER_HEADER, type ChildMessage, type LoadRequest } from "./loader_process.ts";
import type { RunPlan } from "./plan.ts";

/** Writes the answer: the header, then each message on its own line. */
async function answer(messages: readonly ChildMessage[]): Promise<void> {
  const encoder = new TextEncoder();
  const write = async (text: string) => {
    const bytes = encoder.encode(text);
    for (let done = 0; done < bytes.length;) {
      done += await Deno.stdout.write(bytes.subarray(done));
    }
  };
  await write(ANSWER_HEADER + "\n");
  for (const message of messages) await write(JSON.stringify(message) + "\n");
}

/** `pt __run-prepare <run args>`: the exit code of checking and loading. */
export async function prepareMain(args: readonly string[]): Promise<number> {
  // The program only here: a reload's loader (`loadMain`) starts without commander.
  const { runCli } = await import("../program.ts");
  return await runCli(["run", ...args], {
    runAction: async (plan: RunPlan) => {
      const messages = await loadMessages(plan.dir, plan.hosts);
      const dirError = messages.find((m) => m.kind === "dirError");
      if (dirError) throw new UsageError(dirError.message);
      await answer([{ kind: "plan", plan }, ...messages]);
    },
  });
}

/**
 * `pt __run-load`: reads `{ dir, hosts }` on stdin (started early, it waits there while the
 * watcher lets changes settle) and answers with the folder's jobs; exit 0. An empty request
 * (the scheduler stopped meanwhile) ends it with nothing to say.
 */
export async function loadMain(): Promise<number> {
  const text = await new Response(Deno.stdin.readable).text();
  if (text.trim() === "") return 0;
  const request = JSON.parse(text) as LoadRequest;
  // A folder that cannot be listed is a message of the answer (`dirError`), not a failure.
  await answer(await loadMessages(request.dir, request.hosts));
  return 0;
}
