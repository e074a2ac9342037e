/** `taskType()` and `ATTEMPT_RUNNERS`: which RunAttempt runs which kind of task. */

import assert from "node:assert/strict";
import type { CommandKind, HttpSpec, KubernetesSpec, TaskSpec } from "../../../src/core/model.ts";
import { NO_RETRY } from "../../../src/core/model.ts";
import {
  ATTEMPT_RUNNERS,
  runCommandTask,
  runCustomAttempt,
  runHttpAttempt,
  runKubernetesAttempt,
  taskType,
} from "../../../src/exec/attempt/mod.ts";

function task(kind: CommandKind | "custom" | "none"): TaskSpec {
  return {
    id: "t",
    name: "t",
    dependsOn: [],
    condition: "all_success",
    retry: NO_RETRY,
    timeoutMs: null,
    command: kind === "custom" || kind === "none" ? null : {
      kind,
      command: "true",
      args: [],
      script: null,
      inline: false,
      workingDir: null,
      environment: {},
    },
    custom: kind === "custom" ? { execute: () => {} } : null,
  };
}

Deno.test("taskType: the command kind, custom for TypeScript tasks, http for requests, else command", () => {
  assert.equal(taskType(task("command")), "command");
  assert.equal(taskType(task("shell")), "shell");
  assert.equal(taskType(task("python")), "python");
  assert.equal(taskType(task("custom")), "custom");
  assert.equal(taskType(task("none")), "command");
  const request: HttpSpec = {
    url: "http://x",
    method: "GET",
    headers: {},
    body: null,
    expectStatus: [],
  };
  assert.equal(taskType({ ...task("none"), http: request }), "http");
  const container: KubernetesSpec = {
    image: "busybox",
    command: [],
    args: [],
    namespace: null,
    environment: {},
    requests: {},
    limits: {},
    nodeSelector: {},
    serviceAccount: null,
    imagePullPolicy: null,
  };
  assert.equal(taskType({ ...task("none"), kubernetes: container }), "kubernetes");
});

Deno.test("ATTEMPT_RUNNERS: processes for command, shell and python; code for custom", () => {
  assert.deepEqual(Object.keys(ATTEMPT_RUNNERS).sort(), [
    "command",
    "custom",
    "http",
    "job",
    "kubernetes",
    "python",
    "shell",
  ]);
  // Command kinds go through one dispatcher: here, or over SSH when the task has a host.
  assert.equal(ATTEMPT_RUNNERS.command, runCommandTask);
  assert.equal(ATTEMPT_RUNNERS.shell, runCommandTask);
  assert.equal(ATTEMPT_RUNNERS.python, runCommandTask);
  assert.equal(ATTEMPT_RUNNERS.custom, runCustomAttempt);
  assert.equal(ATTEMPT_RUNNERS.http, runHttpAttempt);
  assert.equal(ATTEMPT_RUNNERS.kubernetes, runKubernetesAttempt);
  assert.ok(Object.isFrozen(ATTEMPT_RUNNERS));
});
