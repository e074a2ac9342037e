import assert from "node:assert/strict";
import {
  buildKubeJob,
  buildKubeSecret,
  DEADLINE_MARGIN_SECS,
  jobName,
  labelValue,
  type ManifestInput,
  randomSuffix,
  runSelector,
  TTL_SECONDS_AFTER_FINISHED,
} from "../../../src/exec/kube/manifest.ts";

/** The input of a plain task; `extra` overrides. */
function input(extra: Partial<ManifestInput> = {}): ManifestInput {
  return {
    jobId: "backup",
    runId: "mibc2x1f4-9a1c03ee",
    taskId: "dump",
    attempt: 2,
    suffix: "ab1cd",
    image: "busybox:1.36",
    command: ["sh", "-c"],
    args: ["echo hi"],
    env: { A: "1", PETIT_RUN_ID: "mibc2x1f4-9a1c03ee" },
    spec: {
      namespace: null,
      requests: {},
      limits: {},
      nodeSelector: {},
      serviceAccount: null,
      imagePullPolicy: null,
    },
    timeoutMs: null,
    killGraceMs: 5000,
    ...extra,
  };
}

/** What the API accepts as a Job name (a DNS-1123 label, so its pods' job-name label fits). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** What the API accepts as a label value. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

Deno.test("jobName: job, task, attempt and suffix, lower-cased, as a DNS label", () => {
  assert.equal(jobName("backup", "dump", 1, "x7k2p"), "backup-dump-1-x7k2p");
  assert.equal(jobName("Nightly_ETL", "load.eu", 3, "abcde"), "nightly-etl-load-eu-3-abcde");
  assert.equal(jobName("_x", "y_", 1, "abcde"), "x-y-1-abcde");
  assert.equal(jobName("__", "..", 1, "abcde"), "petit-1-abcde");
});

Deno.test("jobName: long ids are shortened so the name stays within 63 characters", () => {
  const name = jobName("j".repeat(80), "t".repeat(80), 12, "abcde");
  assert.equal(name.length, 63);
  assert.match(name, DNS_LABEL);
  assert.ok(name.endsWith("-12-abcde"));
  // A cut that ends on a separator drops it.
  const cut = jobName(`${"a".repeat(54)}-b`, "c", 1, "abcde");
  assert.match(cut, DNS_LABEL);
});

Deno.test("labelValue: ids stay as they are, long ones are cut to 63 and trimmed", () => {
  assert.equal(labelValue("mibc2x1f4-9a1c03ee"), "mibc2x1f4-9a1c03ee");
  assert.equal(labelValue("load.eu_1"), "load.eu_1");
  assert.equal(labelValue("_x-"), "x");
  const long = labelValue(`${"a".repeat(62)}.b`);
  assert.equal(long.length, 62);
  assert.match(long, LABEL_VALUE);
  assert.match(labelValue("a b/c"), LABEL_VALUE);
});

Deno.test("randomSuffix: five characters of [a-z0-9], different each time", () => {
  const seen = new Set(Array.from({ length: 20 }, () => randomSuffix()));
  for (const s of seen) assert.match(s, /^[a-z0-9]{5}$/);
  assert.ok(seen.size > 15);
});

Deno.test("runSelector: Petit's Jobs of one run", () => {
  assert.equal(
    runSelector("r-1"),
    "app.kubernetes.io/managed-by=petit,petit.dev/run=r-1",
  );
});

Deno.test("buildKubeJob: one container, no retries of Kubernetes' own, both safety nets", () => {
  const job = buildKubeJob(input({ timeoutMs: 90_500 }));
  assert.equal(job.apiVersion, "batch/v1");
  assert.equal(job.kind, "Job");
  assert.equal(job.metadata.name, "backup-dump-2-ab1cd");
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(job.spec.ttlSecondsAfterFinished, TTL_SECONDS_AFTER_FINISHED);
  assert.equal(job.spec.activeDeadlineSeconds, 91 + DEADLINE_MARGIN_SECS);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assert.equal(pod.terminationGracePeriodSeconds, 5);
  assert.equal(pod.nodeSelector, undefined);
  assert.equal(pod.serviceAccountName, undefined);
  assert.deepEqual(pod.containers, [{
    name: "task",
    image: "busybox:1.36",
    command: ["sh", "-c"],
    args: ["echo hi"],
    env: [{ name: "A", value: "1" }, { name: "PETIT_RUN_ID", value: "mibc2x1f4-9a1c03ee" }],
  }]);
  assert.equal(buildKubeJob(input()).spec.activeDeadlineSeconds, undefined);
});

Deno.test("buildKubeJob: labels on the Job and its pods, full ids in annotations", () => {
  const long = "r".repeat(70);
  const job = buildKubeJob(input({ runId: long }));
  const labels = {
    "app.kubernetes.io/managed-by": "petit",
    "petit.dev/job": "backup",
    "petit.dev/run": "r".repeat(63),
    "petit.dev/task": "dump",
    "petit.dev/attempt": "2",
  };
  const annotations = {
    "petit.dev/job": "backup",
    "petit.dev/run": long,
    "petit.dev/task": "dump",
    "petit.dev/attempt": "2",
  };
  assert.deepEqual(job.metadata.labels, labels);
  assert.deepEqual(job.metadata.annotations, annotations);
  assert.deepEqual(job.spec.template.metadata?.labels, labels);
  assert.deepEqual(job.spec.template.metadata?.annotations, annotations);
  for (const value of Object.values(labels)) assert.match(value, LABEL_VALUE);
});

Deno.test("buildKubeJob: resources, node selector, service account and pull policy when set", () => {
  const job = buildKubeJob(input({
    command: [],
    args: [],
    env: {},
    spec: {
      namespace: "batch",
      requests: { cpu: "250m", memory: "64Mi" },
      limits: { memory: "128Mi" },
      nodeSelector: { "kubernetes.io/arch": "arm64" },
      serviceAccount: "runner",
      imagePullPolicy: "IfNotPresent",
    },
    killGraceMs: 1500,
  }));
  const pod = job.spec.template.spec;
  assert.deepEqual(pod.nodeSelector, { "kubernetes.io/arch": "arm64" });
  assert.equal(pod.serviceAccountName, "runner");
  assert.equal(pod.terminationGracePeriodSeconds, 2);
  assert.deepEqual(pod.containers[0], {
    name: "task",
    image: "busybox:1.36",
    env: [],
    imagePullPolicy: "IfNotPresent",
    resources: { requests: { cpu: "250m", memory: "64Mi" }, limits: { memory: "128Mi" } },
  });
});

Deno.test("buildKubeSecret: none without secret values; the Job's env holds every value then", () => {
  assert.equal(buildKubeSecret(input()), null);
  assert.equal(buildKubeSecret(input({ secretNames: new Set(["MISSING"]) })), null);
  // An empty secret value has nothing to hide: it stays a plain value.
  const empty = input({ env: { TOKEN: "" }, secretNames: new Set(["TOKEN"]) });
  assert.equal(buildKubeSecret(empty), null);
  assert.deepEqual(buildKubeJob(empty).spec.template.spec.containers[0].env, [
    { name: "TOKEN", value: "" },
  ]);
});

Deno.test("buildKubeSecret: the secret values, in a Secret named and labelled as the Job", () => {
  const withSecrets = input({
    env: { A: "1", TOKEN: "s3cr3t", "db.password": "hunter2" },
    secretNames: new Set(["TOKEN", "db.password", "UNUSED"]),
  });
  const secret = buildKubeSecret(withSecrets)!;
  const job = buildKubeJob(withSecrets);
  assert.equal(secret.apiVersion, "v1");
  assert.equal(secret.kind, "Secret");
  assert.equal(secret.type, "Opaque");
  assert.equal(secret.metadata.name, job.metadata.name);
  assert.deepEqual(secret.metadata.labels, job.metadata.labels);
  assert.deepEqual(secret.metadata.annotations, job.metadata.annotations);
  assert.deepEqual(secret.stringData, { TOKEN: "s3cr3t", "db.password": "hunter2" });
  // The Job refers to the Secret's keys: no secret value in its spec.
  const env = job.spec.template.spec.containers[0].env!;
  assert.deepEqual(env, [
    { name: "A", value: "1" },
    { name: "TOKEN", valueFrom: { secretKeyRef: { name: job.metadata.name!, key: "TOKEN" } } },
    {
      name: "db.password",
      valueFrom: { secretKeyRef: { name: job.metadata.name!, key: "db.password" } },
    },
  ]);
  assert.doesNotMatch(JSON.stringify(job), /s3cr3t|hunter2/);
});
