/**
 * `env_file`: how a file is parsed (comments, `export`, quotes), that a missing or malformed
 * file is an error naming the path (and never quoting a line, which may hold a secret), and
 * where its values sit among a command's environment layers (`prepareCommand`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { JobSpec, TaskSpec } from "../../src/core/model.ts";
import { prepareCommand } from "../../src/exec/command.ts";
import { EnvFileError, parseEnvFile, readEnvFile } from "../../src/exec/env_file.ts";

Deno.test("parseEnvFile(): comments, blank lines, export, spaces and one pair of quotes", () => {
  const text = [
    "# a comment",
    "",
    "   # indented comment",
    "PLAIN=value",
    "export EXPORTED=yes",
    "SPACED  =  padded value  ",
    'DOUBLE="two words"',
    "SINGLE='it''s'",
    'MIXED="not closed',
    "EMPTY=",
    "EQUALS=a=b=c",
    'INNER="keep \\n as is"',
    "WINDOWS=crlf\r",
    "PLAIN=later wins",
  ].join("\n");
  assert.deepEqual(parseEnvFile(text, "app.env"), {
    PLAIN: "later wins",
    EXPORTED: "yes",
    SPACED: "padded value",
    DOUBLE: "two words",
    SINGLE: "it''s",
    MIXED: '"not closed',
    EMPTY: "",
    EQUALS: "a=b=c",
    INNER: "keep \\n as is",
    WINDOWS: "crlf",
  });
});

Deno.test("parseEnvFile(): a line that is not KEY=VALUE names the file and line only", () => {
  for (const line of ["just-a-secret-token", "=value", "two words=x"]) {
    assert.throws(() => parseEnvFile(`OK=1\n${line}\n`, "/etc/app.env"), EnvFileError);
  }
  assert.throws(
    () => parseEnvFile("OK=1\njust-a-secret-token\n", "/etc/app.env"),
    { name: "EnvFileError", message: "env_file /etc/app.env:2: expected KEY=VALUE" },
  );
});

Deno.test("readEnvFile(): a missing file or a folder is an error naming the path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-envfile-" });
  try {
    await Deno.writeTextFile(join(dir, "ok.env"), "A=1\n");
    assert.deepEqual(await readEnvFile(join(dir, "ok.env")), { A: "1" });
    await assert.rejects(() => readEnvFile(join(dir, "missing.env")), {
      name: "EnvFileError",
      message: `cannot read env_file ${join(dir, "missing.env")}: no such file`,
    });
    await assert.rejects(() => readEnvFile(dir), {
      message: `cannot read env_file ${dir}: not a file`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareCommand(): job env_file < job environment < task env_file < task environment", async () => {
  const task: TaskSpec = {
    id: "t",
    name: "t",
    dependsOn: [],
    condition: "all_success",
    retry: { maxAttempts: 0, delayMs: 0, backoff: "fixed", maxDelayMs: null, condition: "always" },
    timeoutMs: null,
    custom: null,
    command: {
      kind: "command",
      command: "env",
      args: [],
      script: null,
      inline: false,
      workingDir: null,
      environment: { D: "task environment" },
    },
  };
  const job = {
    id: "j",
    environment: { B: "job environment", C: "job environment", D: "job environment" },
    file: "",
  } as unknown as JobSpec;
  const prepared = await prepareCommand({
    job,
    task,
    runId: "r",
    attempt: 1,
    baseEnv: { A: "pt", B: "pt", Z: "pt" },
    templates: { jobId: "j", runId: "r", config: {}, params: { day: "d1" }, tasks: new Map() },
    outputFile: "/tmp/out",
    runDir: "/tmp",
    scheduledFor: null,
    fileEnv: {
      job: { A: "job env_file", B: "job env_file" },
      task: { C: "task env_file", D: "task env_file" },
    },
  });
  const env = prepared.env;
  assert.deepEqual([env.Z, env.A, env.B, env.C, env.D], [
    "pt",
    "job env_file",
    "job environment",
    "task env_file",
    "task environment",
  ]);
  assert.equal(env.PETIT_PARAM_DAY, "d1");
});
