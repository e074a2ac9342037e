/**
 * Notifications from `pt trigger` as a real subprocess: it waits for the run's deliveries
 * before it exits, reads `[[notify.default]]` from its config file, and a signal after the
 * run stops the wait.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteStorage } from "../../src/storage/sqlite/mod.ts";
import { never, startHook } from "./helpers.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-run", "--allow-env", "--allow-net"];

/** A temp root with a jobs folder holding `jobs` (id → YAML). */
async function makeRoot(jobs: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "petit-notify-cli-" });
  await Deno.mkdir(join(root, "jobs"));
  for (const [id, text] of Object.entries(jobs)) {
    await Deno.writeTextFile(join(root, "jobs", `${id}.yaml`), text);
  }
  return root;
}

/** `pt args…` in `root`, with XDG folders there and no PETIT_* from this process. */
function pt(root: string, args: string[]): Deno.ChildProcess {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) => !k.startsWith("PETIT_")),
  );
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, ...args],
    cwd: root,
    env: {
      ...env,
      NO_COLOR: "1",
      XDG_CONFIG_HOME: join(root, ".config"),
      XDG_DATA_HOME: join(root, ".data"),
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const text = new TextDecoder();

/** The types of the notification events stored in a database. */
function storedNotifications(db: string): string[] {
  const storage = new SqliteStorage(db);
  try {
    return storage.eventsAfter(0).filter((e) => e.type.startsWith("notification_")).map((e) =>
      e.type
    );
  } finally {
    storage.close();
  }
}

Deno.test("pt trigger: waits for the run's notifications before it exits", async () => {
  let answered = 0;
  const hook = startHook(async () => {
    await new Promise((r) => setTimeout(r, 700)); // a slow server
    answered = performance.now();
    return new Response("ok");
  });
  const root = await makeRoot({
    job: `id: job\nnotify: [{webhook: "${hook.origin}/x", on: [success]}]\n` +
      'tasks:\n  - id: t\n    command: "true"\n',
  });
  try {
    const out = await pt(root, ["trigger", "jobs", "job", "--db", "petit.db"]).output();
    const exited = performance.now();
    const stdout = text.decode(out.stdout);
    assert.equal(out.code, 0, `${stdout}\n${text.decode(out.stderr)}`);
    assert.equal(hook.received.length, 1);
    assert.ok(answered > 0 && answered < exited, "the answer came before the exit");
    assert.match(stdout, new RegExp(`notification sent: webhook ${hook.origin}/x\\n`));
    assert.deepEqual(storedNotifications(join(root, "petit.db")), ["notification_sent"]);
  } finally {
    await hook.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("pt trigger --config: [[notify.default]] notifies jobs without their own notify", async () => {
  const hook = startHook();
  const root = await makeRoot({
    plain: 'id: plain\ntasks:\n  - id: t\n    command: "false"\n',
  });
  try {
    const config = join(root, "petit.toml");
    await Deno.writeTextFile(
      config,
      `[[notify.default]]\non = ["failure"]\nntfy = "${hook.origin}/alerts"\n`,
    );
    const out = await pt(root, ["trigger", "jobs", "plain", "--db", "petit.db", "--config", config])
      .output();
    assert.equal(out.code, 1, text.decode(out.stderr));
    assert.equal(hook.received.length, 1);
    assert.equal(hook.received[0].headers.get("title"), "petit: job plain failed");

    // A bad entry in the file is a usage error, before anything runs.
    await Deno.writeTextFile(config, `[[notify.default]]\non = ["failure"]\n`);
    const bad = await pt(root, ["trigger", "jobs", "plain", "--db", "petit.db", "--config", config])
      .output();
    assert.equal(bad.code, 2);
    assert.match(
      text.decode(bad.stderr),
      /notify\.default\.0: give one of webhook, ntfy or command/,
    );
    assert.equal(hook.received.length, 1);
  } finally {
    await hook.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("pt trigger: a signal after the run stops waiting for a hanging notification", async () => {
  const hook = startHook((_n, signal) => never(signal));
  const root = await makeRoot({
    job: `id: job\nnotify: [{webhook: "${hook.origin}/x", on: [success]}]\n` +
      'tasks:\n  - id: t\n    command: "true"\n',
  });
  try {
    const child = pt(root, ["trigger", "jobs", "job", "--db", "petit.db"]);
    await hook.nth(1); // the run is over, its notification under way
    const t0 = performance.now();
    child.kill("SIGINT");
    const out = await child.output();
    assert.ok(performance.now() - t0 < 5_000, "exited without the full wait");
    const stdout = text.decode(out.stdout);
    assert.equal(out.code, 0, stdout);
    assert.match(
      stdout,
      /notification failed: webhook .*: not delivered: Petit is exiting.*; giving up/,
    );
    assert.deepEqual(storedNotifications(join(root, "petit.db")), ["notification_failed"]);
  } finally {
    await hook.close();
    await Deno.remove(root, { recursive: true });
  }
});
