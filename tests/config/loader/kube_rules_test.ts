/**
 * Tests of kube_rules.ts and the Kubernetes task fields of the schema: what a Kubernetes task
 * needs and refuses, positioned; quantities, names and labels as the API takes them; the
 * KubernetesSpec built from a valid task; and the JSON Schema agreeing with the loader.
 *
 * @module
 */

import assert from "node:assert/strict";
import { quantityValue } from "../../../src/config/loader/kube_rules.ts";
import { loadJobTexts as loadWithHosts } from "../../../src/config/loader/mod.ts";
import { jsonSchemaErrors } from "../helpers.ts";
import { assertErrors, load, onlyJob, task, yaml } from "./helpers.ts";

/** A job with one task `t` of the given lines. */
function oneTask(...lines: string[]): string {
  return yaml("id: a", "tasks:", "  - id: t", ...lines.map((l) => `    ${l}`));
}

Deno.test("kubernetes task: the KubernetesSpec with its defaults, and with every field", () => {
  const minimal = task(onlyJob(oneTask("type: kubernetes", "image: busybox:1.36")), "t");
  assert.equal(minimal.command, null);
  assert.equal(minimal.host, undefined);
  assert.deepEqual(minimal.kubernetes, {
    image: "busybox:1.36",
    command: [],
    args: [],
    namespace: null,
    environment: {},
    requests: {},
    limits: {},
    nodeSelector: {},
    serviceAccount: null,
    imagePullPolicy: null,
  });
  const web1 = {
    name: "web1",
    address: "10.0.0.1",
    port: 22,
    user: null,
    identityFile: null,
    knownHosts: null,
    strictHostKeyChecking: true,
  };
  const loaded = loadWithHosts([{
    file: "/jobs/job.yaml",
    text: yaml(
      "id: a",
      "host: web1",
      "config: {tag: '1.36'}",
      "tasks:",
      "  - id: t",
      "    type: kubernetes",
      "    image: 'busybox:{{ config.tag }}'",
      "    command: [sh, -c]",
      "    args: ['echo {{ run.id }}', 2, true]",
      "    namespace: batch-jobs",
      "    environment: {MODE: full, my.var-1: 2}",
      "    env_file: task.env",
      "    resources:",
      "      requests: {cpu: 250m, memory: 64Mi}",
      "      limits: {cpu: 1, memory: 0.5Gi}",
      "    node_selector: {kubernetes.io/arch: arm64, gpu: true}",
      "    service_account: petit-runner",
      "    image_pull_policy: IfNotPresent",
      "    timeout: 10m",
      "    retry: {max_attempts: 2, condition: transient_only}",
    ),
  }], { web1 });
  assert.deepEqual(loaded.errors, []);
  const full = task(loaded.jobs[0], "t");
  assert.deepEqual(full.kubernetes, {
    image: "busybox:{{ config.tag }}",
    command: ["sh", "-c"],
    args: ["echo {{ run.id }}", "2", "true"],
    namespace: "batch-jobs",
    environment: { MODE: "full", "my.var-1": "2" },
    requests: { cpu: "250m", memory: "64Mi" },
    limits: { cpu: "1", memory: "0.5Gi" },
    nodeSelector: { "kubernetes.io/arch": "arm64", gpu: "true" },
    serviceAccount: "petit-runner",
    imagePullPolicy: "IfNotPresent",
  });
  assert.equal(full.envFile, "/jobs/task.env");
  assert.equal(full.timeoutMs, 600_000);
  assert.equal(full.retry.maxAttempts, 2);
  // The job's host is for its command tasks, not for this one.
  assert.equal(full.host, undefined);
});

Deno.test("kubernetes task: image is required, command is a list, fields of local tasks refused", () => {
  assertErrors(
    load(oneTask(
      "type: kubernetes",
      "command: echo",
      "script: echo hi",
      "working_dir: /tmp",
      "host: web1",
    )),
    [
      ["job.yaml:3:5", 'tasks[0]: type kubernetes needs "image"', "busybox"],
      ["job.yaml:5:14", "tasks[0].command: type kubernetes takes a list", "[sh, -c"],
      ["job.yaml:6:5", 'tasks[0]: "script" is for type: shell or python'],
      ["job.yaml:7:5", 'tasks[0]: "working_dir" is for tasks that run here'],
      ["job.yaml:8:5", 'tasks[0]: "host" is for tasks that run over SSH', "node_selector"],
      ["job.yaml:8:11", 'unknown host "web1"'],
    ],
  );
});

Deno.test("kubernetes task: the Kubernetes fields are refused by other types; lists by command", () => {
  assertErrors(
    load(yaml(
      "id: a",
      "tasks:",
      "  - id: t",
      "    command: [echo, hi]",
      "    image: busybox",
      "  - id: s",
      "    type: shell",
      "    script: echo",
      "    namespace: default",
      "    resources: {limits: {cpu: 1}}",
      "    node_selector: {a: b}",
      "    service_account: x",
      "    image_pull_policy: Always",
    )),
    [
      ["job.yaml:4:14", "tasks[0].command: a list is for type: kubernetes", '"args"'],
      ["job.yaml:5:5", 'tasks[0]: "image" is for type: kubernetes'],
      ["job.yaml:9:5", 'tasks[1]: "namespace" is for type: kubernetes'],
      ["job.yaml:10:5", 'tasks[1]: "resources" is for type: kubernetes'],
      ["job.yaml:11:5", 'tasks[1]: "node_selector" is for type: kubernetes'],
      ["job.yaml:12:5", 'tasks[1]: "service_account" is for type: kubernetes'],
      ["job.yaml:13:5", 'tasks[1]: "image_pull_policy" is for type: kubernetes'],
    ],
  );
});

Deno.test("kubernetes task: quantities, names and labels as the API takes them", () => {
  assertErrors(
    load(oneTask(
      "type: kubernetes",
      "image: busybox",
      "namespace: Batch_Jobs",
      "resources:",
      "  requests: {cpu: 2 cores, memory: 64MB, gpu: 1}",
      "  limits: {cpu: -1}",
      "  storage: {}",
      "node_selector: {'bad key!': x}",
      "service_account: Runner",
      "image_pull_policy: always",
      "environment: {9LIVES: x, OK_NAME: y}",
    )),
    [
      ["job.yaml:6:16", "tasks[0].namespace: must be a namespace name"],
      ["job.yaml:8:23", "tasks[0].resources.requests.cpu: must be a Kubernetes quantity", "500m"],
      ["job.yaml:8:40", "tasks[0].resources.requests.memory: must be a Kubernetes quantity"],
      ["job.yaml:8:46", 'unknown key "gpu" in tasks[0].resources.requests (did you mean "cpu"?)'],
      ["job.yaml:9:21", "tasks[0].resources.limits.cpu must be 0 or more"],
      ["job.yaml:10:7", 'unknown key "storage" in tasks[0].resources'],
      ["job.yaml:11:21", "tasks[0].node_selector: node label names are an optional prefix"],
      ["job.yaml:12:22", "tasks[0].service_account: must be a service account name"],
      ["job.yaml:13:24", "tasks[0].image_pull_policy must be one of Always, IfNotPresent, Never"],
      ["job.yaml:14:19", 'tasks[0].environment: "9LIVES" is not a name a container takes'],
    ],
  );
});

Deno.test("kubernetes task: a request above its limit is an error at the request", () => {
  assertErrors(
    load(oneTask(
      "type: kubernetes",
      "image: busybox",
      "resources:",
      "  requests: {cpu: 1500m, memory: 1Gi}",
      "  limits: {cpu: 1, memory: 1024Mi}",
    )),
    [["job.yaml:7:23", "tasks[0].resources.requests.cpu 1500m is more than its limit 1"]],
  );
});

Deno.test("kubernetes task: templates in image, command and args must resolve", () => {
  assertErrors(
    load(oneTask(
      "type: kubernetes",
      "image: 'busybox:{{ config.tag }}'",
      "command: [sh, -c, 'echo {{ tasks.x.stdout }}']",
    )),
    [
      ["job.yaml:5:21", 'unknown config key "tag" in {{ config.tag }}'],
      ["job.yaml:6:29", '{{ tasks.x.stdout }} refers to task "x", which is not upstream'],
    ],
  );
});

Deno.test("quantityValue: suffixes, exponents and numbers", () => {
  assert.equal(quantityValue("500m"), 0.5);
  assert.equal(quantityValue("2"), 2);
  assert.equal(quantityValue(".5"), 0.5);
  assert.equal(quantityValue("1Ki"), 1024);
  assert.equal(quantityValue("1Gi"), 2 ** 30);
  assert.equal(quantityValue("1G"), 1e9);
  assert.equal(quantityValue("1e3"), 1000);
  assert.equal(quantityValue(1.5), 1.5);
  assert.equal(quantityValue("1 Gi"), null);
  assert.equal(quantityValue("-1"), null);
});

Deno.test("kubernetes task: the JSON Schema agrees with the loader", () => {
  const valid = [
    oneTask("type: kubernetes", "image: busybox", "command: [sh, -c, 'echo hi']", "args: [1]"),
    oneTask(
      "type: kubernetes",
      "image: busybox",
      "resources: {requests: {cpu: 0.5, memory: 1e9}, limits: {memory: 2Gi}}",
      "node_selector: {kubernetes.io/arch: arm64, example.com/disk: ssd}",
      "namespace: ci",
      "service_account: a.b-c",
      "image_pull_policy: Never",
      "environment: {my.var: 1, _X: 2}",
      "env_file: x.env",
    ),
  ];
  for (const text of valid) {
    assert.deepEqual(load(text).errors, [], text);
    assert.deepEqual(jsonSchemaErrors(text), [], text);
  }
  const invalid = [
    oneTask("type: kubernetes"),
    oneTask("type: kubernetes", "image: busybox", "command: echo"),
    oneTask("type: kubernetes", "image: busybox", "script: echo"),
    oneTask("type: kubernetes", "image: busybox", "working_dir: /x"),
    oneTask("type: kubernetes", "image: busybox", "host: web1"),
    oneTask("type: kubernetes", "image: busybox", "environment: {1X: a}"),
    oneTask("type: kubernetes", "image: busybox", "resources: {requests: {cpu: 1x}}"),
    oneTask("type: kubernetes", "image: busybox", "namespace: Upper"),
    oneTask("type: kubernetes", "image: busybox", "node_selector: {a: -b}"),
    oneTask("command: [echo]"),
    oneTask("command: echo", "image: busybox"),
    oneTask("type: http", "url: https://example.com", "node_selector: {a: b}"),
  ];
  for (const text of invalid) {
    assert.notDeepEqual(load(text).errors, [], text);
    assert.notDeepEqual(jsonSchemaErrors(text), [], text);
  }
});
