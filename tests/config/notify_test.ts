/**
 * Notification entries in the configuration: a job's `notify:` (positioned loader errors,
 * the model it builds) and the config file's `[[notify.default]]` (read, checked, built).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError } from "../../src/config/errors.ts";
import { loadJobTexts } from "../../src/config/loader/mod.ts";
import { buildNotify } from "../../src/config/notify.ts";
import { notifyDefaults, readConfigFile, SettingsError } from "../../src/config/settings.ts";
import { DEFAULT_NOTIFY_ON, DEFAULT_NOTIFY_TIMEOUT_MS } from "../../src/core/notify.ts";

/** A job file with `notify:` lines (indented under it) and one task. */
function jobWithNotify(...lines: string[]): string {
  return ["id: a", "notify:", ...lines, "tasks:", "  - id: t", "    command: echo"].join("\n") +
    "\n";
}

/** The loader's errors for one file. */
function errorsOf(text: string): string[] {
  return loadJobTexts([{ file: "job.yaml", text }]).errors.map(formatConfigError);
}

Deno.test("loader: notify mistakes are positioned errors, all in one pass", () => {
  const text = jobWithNotify(
    "  - on: [failure, failed]", // 3
    "    webhook: ftp://hooks.example.com/x", // 4
    "    ntfy: https://ntfy.sh/t", // 5
    "  - on: [success]", // 6
    "  - command: []", // 7
    '  - command: [""]', // 8
    "    tiemout: 5s", // 9
    "  - ntfy: not a url", // 10
    "    timeout: 10 minutes", // 11
  );
  assert.deepEqual(errorsOf(text), [
    'job.yaml:3:19: notify[0].on[1] must be one of failure, success, cancelled, skipped; got string "failed"',
    "job.yaml:4:14: notify[0].webhook: must be an http:// or https:// URL, such as https://hooks.example.com/petit",
    "job.yaml:5:11: notify[0].ntfy: give only one of webhook, ntfy or command (this entry has webhook); write one entry per channel",
    "job.yaml:6:5: notify[1]: give one of webhook, ntfy or command (where the notification goes)",
    "job.yaml:7:14: notify[2].command must not be empty: give the program, then its arguments, got an empty list",
    'job.yaml:8:15: notify[3].command[0] must not be empty, got string ""',
    'job.yaml:9:5: unknown key "tiemout" in notify[3] (did you mean "timeout"?)',
    "job.yaml:10:11: notify[4].ntfy: must be an http:// or https:// URL, such as https://ntfy.sh/my-topic",
    'job.yaml:11:14: notify[4].timeout: invalid duration "10 minutes": spaces are not allowed inside a duration (write e.g. 1h30m)',
  ]);
});

Deno.test("loader: notify builds the model; `on` defaults to failure, timeout to 10s", () => {
  const loaded = loadJobTexts([{
    file: "job.yaml",
    text: jobWithNotify(
      "  - command: [mail, -s, hi, me@example.com]",
      "  - ntfy: http://192.168.1.5/petit",
      "    on: [success, failure, success]",
      "    timeout: 3s",
      "  - webhook: https://hooks.example.com/petit",
      "    on: [cancelled, skipped]",
    ),
  }]);
  assert.deepEqual(loaded.errors, []);
  assert.deepEqual(loaded.jobs[0].notify, [
    {
      on: DEFAULT_NOTIFY_ON,
      target: { channel: "command", argv: ["mail", "-s", "hi", "me@example.com"] },
      timeoutMs: DEFAULT_NOTIFY_TIMEOUT_MS,
    },
    {
      on: ["success", "failure"],
      target: { channel: "ntfy", url: "http://192.168.1.5/petit" },
      timeoutMs: 3000,
    },
    {
      on: ["cancelled", "skipped"],
      target: { channel: "webhook", url: "https://hooks.example.com/petit" },
      timeoutMs: DEFAULT_NOTIFY_TIMEOUT_MS,
    },
  ]);
});

Deno.test("loader: no notify leaves the defaults in force; notify: [] turns them off", () => {
  const without = loadJobTexts([{ file: "a.yaml", text: "id: a\ntasks: [{id: t, command: x}]\n" }]);
  assert.equal(without.jobs[0].notify, undefined);
  assert.equal("notify" in without.jobs[0], false);
  const empty = loadJobTexts([{
    file: "a.yaml",
    text: "id: a\nnotify: []\ntasks: [{id: t, command: x}]\n",
  }]);
  assert.deepEqual(empty.jobs[0].notify, []);
});

Deno.test("buildNotify(): one target per entry", () => {
  assert.deepEqual(buildNotify({ webhook: "https://h.example/x", on: ["success"] }), {
    on: ["success"],
    target: { channel: "webhook", url: "https://h.example/x" },
    timeoutMs: DEFAULT_NOTIFY_TIMEOUT_MS,
  });
});

/** Writes `toml` to a config file in a temp folder and reads it back. */
async function readToml(toml: string) {
  const dir = await Deno.makeTempDir({ prefix: "petit-notify-config-" });
  try {
    const path = join(dir, "config.toml");
    await Deno.writeTextFile(path, toml);
    return await readConfigFile(path, () => undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readConfigFile(): [[notify.default]] entries become the default notifications", async () => {
  const file = await readToml(`
[[notify.default]]
ntfy = "https://ntfy.sh/petit-alerts"

[[notify.default]]
on = ["failure", "cancelled"]
command = ["/usr/local/bin/mail-alert", "ops@example.com"]
timeout = "30s"
`);
  assert.deepEqual(notifyDefaults(file), [
    {
      on: ["failure"],
      target: { channel: "ntfy", url: "https://ntfy.sh/petit-alerts" },
      timeoutMs: DEFAULT_NOTIFY_TIMEOUT_MS,
    },
    {
      on: ["failure", "cancelled"],
      target: { channel: "command", argv: ["/usr/local/bin/mail-alert", "ops@example.com"] },
      timeoutMs: 30_000,
    },
  ]);
  assert.deepEqual(notifyDefaults(await readToml("[api]\nport = 1\n")), []);
});

Deno.test("readConfigFile(): a bad [[notify.default]] entry names the entry and the problem", async () => {
  const cases: Record<string, string> = {
    'webhook = "https://a.example"\nntfy = "https://n.sh/t"':
      "notify.default.0.ntfy: give only one of webhook, ntfy or command",
    'on = ["failure"]': "notify.default.0: give one of webhook, ntfy or command",
    'webhook = "ftp://a.example"': "notify.default.0.webhook: must be an http:// or https:// URL",
    'on = ["failed"]\ncommand = ["x"]': "notify.default.0.on.0: must be one of failure, success",
    "command = []": "notify.default.0.command: must not be empty",
  };
  for (const [entry, message] of Object.entries(cases)) {
    await assert.rejects(
      () => readToml(`[[notify.default]]\n${entry}\n`),
      (err) => {
        assert.ok(err instanceof SettingsError, String(err));
        assert.ok(err.message.includes(message), `${entry}: ${err.message}`);
        return true;
      },
    );
  }
});
