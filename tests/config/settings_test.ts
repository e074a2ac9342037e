/**
 * Tests of settings.ts: where the config file is looked for, and what reading it gives or
 * throws. The environment is passed in, so no test depends on the real one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  defaultConfigPath,
  kubernetesSettings,
  readConfigFile,
  SettingsError,
} from "../../src/config/settings.ts";

/** An environment lookup over a fixed map. */
function envOf(vars: Record<string, string>): (k: string) => string | undefined {
  return (k) => vars[k];
}

/** Runs `fn` in a fresh temporary folder, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "petit-settings-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts that reading rejects with a SettingsError whose message is `message`. */
async function assertSettingsError(read: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(() => read, (err) => {
    assert.ok(err instanceof SettingsError, String(err));
    assert.equal(err.name, "SettingsError");
    assert.equal(err.message, message);
    return true;
  });
}

Deno.test("defaultConfigPath(): XDG_CONFIG_HOME, else ~/.config, else ./.config", () => {
  assert.equal(
    defaultConfigPath(envOf({ XDG_CONFIG_HOME: "/xdg", HOME: "/home/u" })),
    "/xdg/petit/config.toml",
  );
  assert.equal(defaultConfigPath(envOf({ HOME: "/home/u" })), "/home/u/.config/petit/config.toml");
  assert.equal(defaultConfigPath(envOf({})), ".config/petit/config.toml");
});

Deno.test("readConfigFile(): a missing default file is no settings", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readConfigFile(undefined, envOf({ XDG_CONFIG_HOME: dir })), {});
  });
});

Deno.test("readConfigFile(): reads the default file, PETIT_CONFIG, or the file given", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "petit"));
    await Deno.writeTextFile(join(dir, "petit", "config.toml"), "[api]\nport = 1\n");
    await Deno.writeTextFile(join(dir, "env.toml"), "[api]\nport = 2\n");
    await Deno.writeTextFile(join(dir, "flag.toml"), "[api]\nport = 3\n");
    const env = envOf({ XDG_CONFIG_HOME: dir });
    const withVar = envOf({ XDG_CONFIG_HOME: dir, PETIT_CONFIG: join(dir, "env.toml") });
    assert.deepEqual(await readConfigFile(undefined, env), { api: { port: 1 } });
    assert.deepEqual(await readConfigFile(undefined, withVar), { api: { port: 2 } });
    assert.deepEqual(await readConfigFile(join(dir, "flag.toml"), withVar), { api: { port: 3 } });
  });
});

Deno.test("readConfigFile(): storage, api and scheduler keys as written", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "config.toml");
    await Deno.writeTextFile(
      file,
      [
        "[storage]",
        'engine = "sqlite"',
        'path = "/var/lib/petit/petit.db"',
        "[api]",
        "enabled = true",
        'host = "127.0.0.1"',
        "port = 8080",
        'token = "s3cret"',
        'cors = "https://example.com"',
        "[scheduler]",
        "max_jobs = 4",
        "max_tasks = 8",
        "grace_secs = 2.5",
        "keep_runs = 100",
        "tick_interval = 1",
      ].join("\n"),
    );
    assert.deepEqual(await readConfigFile(file, envOf({})), {
      storage: { engine: "sqlite", path: "/var/lib/petit/petit.db" },
      api: {
        enabled: true,
        host: "127.0.0.1",
        port: 8080,
        token: "s3cret",
        cors: "https://example.com",
      },
      scheduler: { max_jobs: 4, max_tasks: 8, grace_secs: 2.5, keep_runs: 100, tick_interval: 1 },
    });
  });
});

Deno.test("readConfigFile(): a named file that is missing is an error (flag or PETIT_CONFIG)", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "nope.toml");
    await assertSettingsError(
      readConfigFile(missing, envOf({})),
      `config file not found: ${missing}`,
    );
    await assertSettingsError(
      readConfigFile(undefined, envOf({ PETIT_CONFIG: missing })),
      `config file not found: ${missing}`,
    );
  });
});

Deno.test("readConfigFile(): a folder instead of a file cannot be read", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(() => readConfigFile(dir, envOf({})), (err) => {
      assert.ok(err instanceof SettingsError);
      assert.ok(err.message.startsWith(`cannot read config file ${dir}: `), err.message);
      return true;
    });
  });
});

Deno.test("readConfigFile(): invalid TOML is file:line:col with the parser's first line", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "config.toml");
    await Deno.writeTextFile(file, "[api]\nport = = 1\n");
    await assert.rejects(() => readConfigFile(file, envOf({})), (err) => {
      assert.ok(err instanceof SettingsError);
      assert.match(err.message, new RegExp(`^${file}:2:\\d+: [^\\n]+$`));
      return true;
    });
  });
});

Deno.test("readConfigFile(): unknown keys and wrong values name the section", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "config.toml");
    await Deno.writeTextFile(file, "[api]\nprot = 1\n");
    await assertSettingsError(
      readConfigFile(file, envOf({})),
      `${file}: unknown key "prot" in [api]`,
    );
    await Deno.writeTextFile(file, "[web]\n");
    await assertSettingsError(readConfigFile(file, envOf({})), `${file}: unknown key "web"`);
    await Deno.writeTextFile(file, "[api]\nport = 70000\n");
    await assert.rejects(() => readConfigFile(file, envOf({})), (err) => {
      assert.ok(err instanceof SettingsError);
      assert.ok(err.message.startsWith(`${file}: api.port: `), err.message);
      return true;
    });
  });
});

Deno.test("kubernetesSettings(): [kubernetes] as written, null for what it does not set", async () => {
  assert.deepEqual(kubernetesSettings({}), { kubeconfig: null, context: null, namespace: null });
  await withTempDir(async (dir) => {
    const path = join(dir, "config.toml");
    await Deno.writeTextFile(
      path,
      '[kubernetes]\nkubeconfig = "/etc/petit/k3s.yaml"\ncontext = "default"\nnamespace = "jobs"\n',
    );
    assert.deepEqual(kubernetesSettings(await readConfigFile(path, envOf({}))), {
      kubeconfig: "/etc/petit/k3s.yaml",
      context: "default",
      namespace: "jobs",
    });
    await Deno.writeTextFile(path, '[kubernetes]\nnamespace = "Jobs"\n');
    await assert.rejects(
      () => readConfigFile(path, envOf({})),
      /kubernetes\.namespace: must be a namespace name/,
    );
    await Deno.writeTextFile(path, '[kubernetes]\nserver = "https://x"\n');
    await assertSettingsError(
      readConfigFile(path, envOf({})),
      `${path}: unknown key "server" in [kubernetes]`,
    );
  });
});
