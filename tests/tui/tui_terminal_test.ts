/**
 * `pt tui` in a real terminal: a tmux pane of 80×24 on a private socket runs the dashboard
 * against a real `pt run` (remote, through its API) or its database file, and the test reads
 * the screen with `capture-pane`. Checks what a person would: the jobs are listed, a run
 * opens on its tasks, a running task's log lines appear, help shows, trigger and pause are
 * refused for a database, a resize is followed, and `q` or Ctrl+C leave a terminal as it was
 * (main screen, cursor shown, canonical mode and echo back on).
 *
 * Needs tmux (skipped without it).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  PT_MAIN,
  PT_PERMS,
  runs,
  type Sandbox,
  waitUntil,
  withSandbox,
} from "../scenarios/helpers.ts";

const HAS_TMUX = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

/** A tmux server on a private socket with one pane running a command line. */
class Pane {
  readonly #socket: string;

  constructor(dir: string) {
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

  /** Starts `command` in a detached session of 80×24. */
  async open(command: string): Promise<void> {
    await this.tmux("new-session", "-d", "-x", "80", "-y", "24", command);
  }

  /** What the pane shows, as text. */
  screen(): Promise<string> {
    return this.tmux("capture-pane", "-p", "-t", "0");
  }

  /** Types keys (tmux key names: Enter, Escape, C-c, or text). */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", "-t", "0", ...keys);
  }

  /** A pane variable, e.g. `alternate_on`. */
  async flag(name: string): Promise<string> {
    return (await this.tmux("display-message", "-p", "-t", "0", `#{${name}}`)).trim();
  }

  /** Waits until the screen matches `re`; returns the screen. */
  waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    let last = "";
    return waitUntil(`the screen to match ${re}`, async () => {
      last = await this.screen();
      return re.test(last) ? last : null;
    }, timeoutMs).catch((err) => {
      throw new Error(`${err.message}; it shows:\n${last}`);
    });
  }

  async close(): Promise<void> {
    await this.tmux("kill-server").catch(() => {});
  }
}

/**
 * The pane's command line: `pt tui …` with the test's environment less PETIT_*, then the
 * exit code and the terminal's line discipline as the shell sees them once it is back.
 */
function tuiCommand(sb: Sandbox, args: string[], env: Record<string, string> = {}): string {
  const vars = {
    XDG_CONFIG_HOME: `${sb.dir}/xdg-config`,
    XDG_DATA_HOME: `${sb.dir}/xdg-data`,
    TZ: "UTC",
    ...env,
  };
  const exports = Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join(" ");
  const unset = Object.keys(Deno.env.toObject()).filter((k) => k.startsWith("PETIT_"));
  return [
    unset.length ? `unset ${unset.join(" ")};` : "",
    `export ${exports};`,
    `'${Deno.execPath()}' run ${PT_PERMS.join(" ")} '${PT_MAIN}' tui ${args.join(" ")};`,
    `echo "tui-exit=$?";`,
    `stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' ';`,
    "echo; sleep 600",
  ].join(" ");
}

/** Asserts the pane is back to how the shell left it: main screen, cursor, cooked mode. */
async function assertRestored(pane: Pane): Promise<void> {
  const screen = await pane.waitFor(/tui-exit=\d+[\s\S]*(icanon|echo)/);
  assert.match(screen, /tui-exit=0/);
  assert.match(screen, /(^|\s)icanon echo/m, "raw mode left on");
  assert.equal(await pane.flag("alternate_on"), "0", "alternate screen left on");
  assert.equal(await pane.flag("cursor_flag"), "1", "cursor left hidden");
}

/** Runs `fn` with a sandbox and a pane that are cleaned up however it ends. */
function withPane(fn: (sb: Sandbox, pane: Pane) => Promise<void>): Promise<void> {
  return withSandbox(async (sb) => {
    const pane = new Pane(sb.dir);
    try {
      await fn(sb, pane);
    } finally {
      await pane.close();
    }
  });
}

const SLOW_JOB = `id: slow
tasks:
  - id: count
    type: shell
    script: 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 1; done; echo "to stderr" >&2'
  - id: after
    type: shell
    script: echo after
    depends_on: [count]
`;

Deno.test({
  name: "pt tui --remote: jobs, a run's tasks, live logs, help, and q restores the terminal",
  ignore: !HAS_TMUX,
  fn: () =>
    withPane(async (sb, pane) => {
      await sb.job("slow", SLOW_JOB);
      await sb.job(
        "tick",
        'id: tick\nschedule: "0 0 1 1 *"\ntasks:\n  - id: t\n    command: "true"\n',
      );
      const server = sb.pt(["run", sb.jobs, "--db", sb.db, "--api-port", "0"]);
      const [url] = await waitUntil("the API's URL", () =>
        server.stdout.match(/http:\/\/\S+/), 20_000);
      await pane.open(tuiCommand(sb, ["--remote", url]));

      let screen = await pane.waitFor(/slow\s+manual/);
      assert.match(screen, /tick\s+01-01 00:00/);
      assert.match(screen, /scheduler running/);
      assert.equal(await pane.flag("alternate_on"), "1");

      // t starts a run of the selected job (slow, the first).
      await pane.keys("t");
      await pane.waitFor(/run \S+ of job slow started/);
      await pane.keys("Enter");
      await pane.waitFor(/Jobs › slow › runs \(1\)[\s\S]*running\s+api/);
      await pane.keys("Enter");
      screen = await pane.waitFor(/count\s+running/);
      assert.match(screen, /› tasks/);
      assert.match(screen, /after\s+pending/);

      // The log overlay shows lines while the task prints them.
      await pane.keys("l");
      screen = await pane.waitFor(/line 2/);
      assert.match(screen, /Logs {2}slow › \S+ › count/);
      if (/\[(live|polling[^\]]*)\]/.test(screen)) {
        assert.doesNotMatch(screen, /line 6/, "the lines should appear one by one");
      }
      screen = await pane.waitFor(/\[finished\]/, 20_000);
      assert.match(screen, /line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n/);
      assert.match(screen, /to stderr/);

      await pane.keys("Escape");
      await pane.waitFor(/count\s+completed[\s\S]*after\s+completed/);

      await pane.keys("?");
      screen = await pane.waitFor(/Help/);
      assert.match(screen, /trigger the job now/);
      assert.match(screen, /pause or resume the scheduler/);
      await pane.keys("?");
      await pane.waitFor(/› tasks/);

      await pane.keys("q");
      await assertRestored(pane);
    }),
});

Deno.test({
  name: "pt tui --db: live from the event log, t and p refused, resize, Ctrl+C restores",
  ignore: !HAS_TMUX,
  fn: () =>
    withPane(async (sb, pane) => {
      await sb.job(
        "tick",
        `id: tick\nschedule: "*/2 * * * * *"\ntasks:\n  - id: hello\n    type: shell\n` +
          `    script: echo "hello from tick"\n`,
      );
      sb.run();
      await waitUntil("a first run", () => {
        try {
          return runs(sb.db, "tick").some((r) => r.status === "completed");
        } catch {
          return false; // no database yet
        }
      }, 20_000);
      await pane.open(tuiCommand(sb, ["--db", sb.db], { NO_COLOR: "1" }));

      let screen = await pane.waitFor(/tick\s+\d\d:\d\d:\d\d\s+(completed|running)/);
      assert.match(screen, /\(read-only\)/);
      assert.doesNotMatch(screen, /t trigger/);

      await pane.keys("t");
      await pane.waitFor(/trigger needs --remote/);
      await pane.keys("p");
      await pane.waitFor(/pause\/resume needs --remote/);

      // New runs show up without a key pressed.
      await pane.keys("Enter");
      screen = await pane.waitFor(/Jobs › tick › runs \(\d+\)/);
      const count = Number(screen.match(/runs \((\d+)\)/)![1]);
      await pane.waitFor(new RegExp(`runs \\((?!${count}\\))\\d+\\)`), 10_000);

      await pane.keys("G", "Enter");
      await pane.waitFor(/hello\s+completed/);
      await pane.keys("l");
      screen = await pane.waitFor(/hello from tick/);
      assert.match(screen, /\[finished\]/);

      // A resize is drawn at the new size: the key hints move to the new last line.
      await pane.tmux("resize-window", "-t", "0", "-x", "60", "-y", "16");
      const lines = await waitUntil("the frame at 60×16", async () => {
        const lines = (await pane.screen()).replace(/\n$/, "").split("\n");
        return lines.length === 16 && /jk scroll/.test(lines[15]) ? lines : null;
      });
      assert.ok(lines.every((l) => [...l].length <= 60), lines.join("\n"));
      assert.match(lines[0], /Petit/);

      await pane.keys("C-c");
      await assertRestored(pane);
    }),
});

Deno.test("pt tui: without a terminal, or with --remote and --db, is a usage error", async () => {
  await withSandbox(async (sb) => {
    const both = await sb.cli(["tui", "--remote", "http://127.0.0.1:1", "--db", sb.db]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--remote URL or --db PATH, not both/);
    const noTty = await sb.cli(["tui", "--db", sb.db]);
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /pt tui needs a terminal/);
  });
});
