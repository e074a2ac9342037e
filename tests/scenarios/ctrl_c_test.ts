/**
 * Ctrl+C in a real terminal: `deno task run` started from an interactive bash inside tmux, so
 * the keypress reaches Petit as the terminal's SIGINT to the foreground group plus the one
 * `deno task` forwards. One keypress must be one graceful shutdown; a later second one forces.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { REPEAT_SIGNAL_WINDOW_MS } from "../../src/cli/commands/run.ts";
import { runs, sleep, waitUntil } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HAS_TMUX = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

/**
 * One tmux server on a private socket; its only pane runs a shell command line, as a terminal
 * tab or `ssh -t host '…'` does. (An interactive bash with job control makes `deno task` a
 * group leader, and then it forwards nothing; without one, both signals arrive.)
 */
class Terminal {
  readonly #socket: string;

  constructor(readonly dir: string) {
    this.#socket = `${dir}/tmux.sock`;
  }

  async tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-S", this.#socket, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    if (!out.success) throw new Error(`tmux ${args.join(" ")}: ${text.decode(out.stderr)}`);
    return text.decode(out.stdout);
  }

  async open(command: string): Promise<void> {
    await this.tmux("new-session", "-d", "-x", "160", "-y", "40", "-c", ROOT, command);
  }

  async ctrlC(): Promise<void> {
    await this.tmux("send-keys", "-t", "0", "C-c");
  }

  async close(): Promise<void> {
    await this.tmux("kill-server").catch(() => {});
  }
}

async function withTerminal(fn: (term: Terminal) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "petit-ctrlc-" });
  const term = new Terminal(dir);
  try {
    await Deno.mkdir(`${dir}/jobs`);
    await Deno.writeTextFile(
      `${dir}/jobs/slow.yaml`,
      [
        "id: slow",
        'schedule: "* * * * * *"',
        "max_concurrency: 1",
        "tasks:",
        "  - id: work",
        "    type: shell",
        `    script: touch ${dir}/started; sleep 3; echo finished`,
        "",
      ].join("\n"),
    );
    await term.open(
      `export XDG_CONFIG_HOME=${dir}/cfg XDG_DATA_HOME=${dir}/data TMPDIR=${dir} TZ=UTC ` +
        `NO_COLOR=1; deno task run ${dir}/jobs --db ${dir}/petit.db --no-api ` +
        `> ${dir}/log.txt 2>&1; echo "exit=$?" > ${dir}/exit.txt; sleep 60`,
    );
    await fn(term);
  } finally {
    await term.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Waits for the first run of `slow` to be running and its task's script to have started (a
 * keypress while the task is being spawned, before it has its own session, reaches the task
 * too), then returns the run's id.
 */
function runningRun(dir: string): Promise<string> {
  return waitUntil("a running run of slow", () => {
    try {
      Deno.statSync(`${dir}/started`);
      const run = runs(`${dir}/petit.db`, "slow").find((r) => r.status === "running");
      return run?.id;
    } catch {
      return undefined; // database not created yet, or the script not started
    }
  }, 30_000);
}

function exited(dir: string): Promise<string> {
  return waitUntil("pt to exit", async () => {
    try {
      return (await Deno.readTextFile(`${dir}/exit.txt`)).trim();
    } catch {
      return undefined;
    }
  }, 20_000);
}

Deno.test({
  name: "Ctrl+C under deno task: one keypress lets running tasks finish",
  ignore: !HAS_TMUX,
  fn: () =>
    withTerminal(async (term) => {
      const runId = await runningRun(term.dir);
      await term.ctrlC();
      assert.equal(await exited(term.dir), "exit=0");
      const log = await Deno.readTextFile(`${term.dir}/log.txt`);
      assert.match(log, /shutting down: waiting up to 30s for 1 running run/);
      assert.doesNotMatch(log, /second signal/);
      const run = runs(`${term.dir}/petit.db`, "slow").find((r) => r.id === runId);
      assert.equal(run?.status, "completed", log);
    }),
});

Deno.test({
  name: "Ctrl+C under deno task: a second keypress a moment later cancels running tasks",
  ignore: !HAS_TMUX,
  fn: () =>
    withTerminal(async (term) => {
      const runId = await runningRun(term.dir);
      await term.ctrlC();
      await sleep(REPEAT_SIGNAL_WINDOW_MS + 300);
      await term.ctrlC();
      assert.equal(await exited(term.dir), "exit=0");
      const log = await Deno.readTextFile(`${term.dir}/log.txt`);
      assert.match(log, /second signal: cancelling running runs now/);
      const run = runs(`${term.dir}/petit.db`, "slow").find((r) => r.id === runId);
      assert.equal(run?.status, "cancelled", log);
    }),
});
