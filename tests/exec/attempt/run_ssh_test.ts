/**
 * `runSshAttempt` against a real OpenSSH server on 127.0.0.1 (`../ssh_server.ts`): exit codes
 * and output, environment, working_dir and outputs on the remote side, timeouts and
 * cancellation that kill the remote process group, and ssh's own failures (host key refused,
 * closed port) as clear transient errors. Ignored when sshd cannot be started.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatConfigError } from "../../../src/config/errors.ts";
import { loadJobTexts } from "../../../src/config/loader/mod.ts";
import type { SshHost } from "../../../src/core/model.ts";
import { EventBus } from "../../../src/events/bus.ts";
import { executeRun, type RunResult } from "../../../src/exec/runner.ts";
import { remoteCommand, remoteKillCommand } from "../../../src/exec/ssh_command.ts";
import { startSshd } from "../ssh_server.ts";

/** Whether `path` exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const server = await startSshd();
const ignore = server === null;
if (server) globalThis.addEventListener("unload", () => void server.stop());

async function runYaml(
  yaml: string,
  host: SshHost,
  signal?: AbortSignal,
): Promise<RunResult> {
  const loaded = loadJobTexts([{ file: join(server!.dir, "job.yaml"), text: yaml }], {
    box: host,
  });
  assert.deepEqual(loaded.errors.map(formatConfigError), []);
  return await executeRun({
    job: loaded.jobs[0],
    runId: `r${crypto.randomUUID().slice(0, 6)}`,
    trigger: "manual",
    bus: new EventBus(),
    signal,
    killGraceMs: 1000,
  });
}

/** Whether a process whose command line contains `text` runs on this machine (the host). */
async function running(text: string): Promise<boolean> {
  const out = await new Deno.Command("pgrep", { args: ["-f", text], stdout: "piped" }).output();
  return out.code === 0;
}

Deno.test({
  name: "runSshAttempt: exit codes, output, environment, working_dir and outputs on the host",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const remoteDir = await Deno.makeTempDir({ prefix: "petit-remote-" });
    try {
      const result = await runYaml(
        `id: ssh
host: box
environment:
  GREETING: "it's 'quoted' $HOME"
tasks:
  - id: hello
    command: echo
    args: [hello, "two words"]
  - id: fails
    type: shell
    script: echo bad >&2; exit 7
  - id: env
    type: shell
    working_dir: ${remoteDir}
    environment: { EXTRA: "a b" }
    script: |
      printf '%s|%s|%s|%s\\n' "$GREETING" "$EXTRA" "$(pwd)" "$PETIT_TASK_ID"
      echo answer=42 >> "$PETIT_OUTPUT"
  - id: down
    depends_on: [env]
    type: python
    script: |
      import os
      print("got", os.environ["PETIT_OUT_ENV_ANSWER"])
`,
        server!.host,
      );
      const t = (id: string) => result.tasks.get(id)!;
      assert.equal(t("hello").status, "completed");
      assert.equal(t("hello").stdout, "hello two words\n");
      assert.equal(t("fails").status, "failed");
      assert.equal(t("fails").exitCode, 7);
      assert.equal(t("fails").error, "exit code 7");
      assert.equal(t("env").stdout, `it's 'quoted' $HOME|a b|${remoteDir}|env\n`);
      assert.deepEqual(t("env").outputs, { answer: "42" });
      assert.equal(t("down").stdout, "got 42\n");
    } finally {
      await Deno.remove(remoteDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runSshAttempt: a timeout kills the remote process group, not only the local ssh",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const result = await runYaml(
      `id: slow
host: box
tasks:
  - id: nap
    type: shell
    script: sleep 313 & sleep 314; echo never
    timeout: 1s
`,
      server!.host,
    );
    const nap = result.tasks.get("nap")!;
    assert.equal(nap.status, "failed");
    assert.equal(nap.error, "timed out after 1000 ms");
    assert.equal(await running("sleep 313"), false, "the remote background sleep is gone");
    assert.equal(await running("sleep 314"), false, "the remote sleep is gone");
  },
});

Deno.test({
  name: "runSshAttempt: cancelling the run kills the remote command",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1500);
    const result = await runYaml(
      `id: cancel
host: box
tasks:
  - id: nap
    command: sleep
    args: [315]
`,
      server!.host,
      abort.signal,
    );
    assert.equal(result.status, "cancelled");
    assert.equal(await running("sleep 315"), false);
  },
});

Deno.test({
  name: "runSshAttempt: a cancel while ssh is still connecting never starts the command",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const abort = new AbortController();
    // A fresh connection takes tens of ms at least (a new ControlMaster per test file's host).
    const started = Date.now();
    setTimeout(() => abort.abort(), 1);
    const result = await runYaml(
      `id: early
host: box
tasks:
  - id: nap
    command: sleep
    args: [316]
`,
      server!.host,
      abort.signal,
    );
    assert.equal(result.status, "cancelled");
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await running("sleep 316"), false);
  },
});

Deno.test("remote kill before the command arrives: the command then never starts", async () => {
  // The same scripts the host runs, run here through `sh -c` as sshd would.
  const tmp = await Deno.makeTempDir({ prefix: "petit-kill-" });
  const dir = join(tmp, "attempt");
  const marker = join(tmp, "ran");
  const sh = async (command: string) => {
    const out = await new Deno.Command("sh", { args: ["-c", command], stderr: "piped" }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  try {
    const kill = await sh(remoteKillCommand(dir, 200));
    assert.equal(kill.code, 0);
    const task = await sh(
      remoteCommand({ dir, workingDir: null, env: {}, argv: ["touch", marker] }),
    );
    assert.notEqual(task.code, 0);
    assert.match(task.stderr, /cannot create/);
    assert.equal(await exists(marker), false, "the task ran after its kill");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "runSshAttempt: a host key not in known_hosts is a clear transient error",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const empty = join(server!.dir, "empty_known_hosts");
    await Deno.writeTextFile(empty, "");
    const result = await runYaml(
      `id: key
tasks:
  - id: t
    host: box
    command: "true"
    retry: { max_attempts: 1, condition: transient_only }
`,
      { ...server!.host, knownHosts: empty },
    );
    const t = result.tasks.get("t")!;
    assert.equal(t.status, "failed");
    assert.equal(t.attempts, 2, "retried as transient");
    assert.match(
      t.error!,
      /^ssh to host "box" \(root@127\.0\.0\.1:\d+\) failed: .*Host key verification failed/,
    );
    assert.match(t.error!, /known_hosts/);
  },
});

Deno.test({
  name: "runSshAttempt: a closed port is a transient connection error",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const result = await runYaml(
      `id: down
host: box
tasks:
  - id: t
    command: "true"
    retry: { max_attempts: 1, condition: transient_only }
`,
      { ...server!.host, port },
    );
    const t = result.tasks.get("t")!;
    assert.equal(t.attempts, 2);
    assert.match(t.error!, /failed: .*Connection refused/);
  },
});

Deno.test("loader: an unknown host is a validation error naming the known hosts", () => {
  const host: SshHost = {
    name: "box",
    address: "x",
    port: 22,
    user: null,
    identityFile: null,
    knownHosts: null,
    strictHostKeyChecking: true,
  };
  const loaded = loadJobTexts([{
    file: "/tmp/j.yaml",
    text: "id: j\nhost: bx\ntasks:\n  - id: a\n    command: 'true'\n    host: other\n",
  }], { box: host });
  assert.deepEqual(loaded.errors.map(formatConfigError), [
    '/tmp/j.yaml:2:7: unknown host "bx" (known hosts: box)',
    '/tmp/j.yaml:6:11: unknown host "other" (known hosts: box)',
  ]);
});
