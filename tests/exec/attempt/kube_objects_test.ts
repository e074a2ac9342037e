/**
 * The Kubernetes objects of an attempt (`kube_objects.ts`): values named in a job's
 * `secrets:` travel in a Secret made before the Job, never in the Job's spec, and the
 * Secret goes with the Job; against the fake API server, whose kubelet resolves
 * `secretKeyRef` as a real one does.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runningPod, runYaml, task, withCluster } from "./kube_harness.ts";

const SECRET_JOB = `id: job
secrets: [TOKEN]
environment:
  TOKEN: s3cr3t-value
  PLAIN: visible
tasks:
  - id: k
    type: kubernetes
    image: busybox:1.36
    command: [sh, -c, 'echo "token=$TOKEN plain=$PLAIN"; sleep 0.5']
`;

Deno.test("kubernetes: a secret value reaches the container from a Secret, not the Job's spec", async () => {
  await withCluster(async (fake, client) => {
    const running = runYaml(client, SECRET_JOB);
    const pod = await runningPod(fake);
    const [job] = fake.jobs();
    const name = job.metadata.name!;
    // The Job names the Secret's key; the value is nowhere in it (nor in its pod).
    const env = job.spec.template.spec.containers[0].env!;
    assert.deepEqual(env.find((e) => e.name === "TOKEN"), {
      name: "TOKEN",
      valueFrom: { secretKeyRef: { name, key: "TOKEN" } },
    });
    assert.deepEqual(env.find((e) => e.name === "PLAIN"), { name: "PLAIN", value: "visible" });
    assert.doesNotMatch(JSON.stringify(job), /s3cr3t/);
    assert.doesNotMatch(JSON.stringify(pod), /s3cr3t/);
    // The Secret: named as the Job, holding only the secret value, owned by the Job.
    const [secret] = fake.secrets();
    assert.equal(secret.metadata.name, name);
    assert.deepEqual(secret.data, { TOKEN: btoa("s3cr3t-value") });
    assert.deepEqual(secret.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [
      ["Job", name, job.metadata.uid],
    ]);
    const { result } = await running;
    assert.equal(result.status, "completed", JSON.stringify([...result.tasks]));
    // The container had the value; what Petit keeps is masked.
    assert.equal(result.tasks.get("k")!.stdout, "token=*** plain=visible\n");
    assert.deepEqual(fake.secrets(), [], "the Secret is deleted with the Job");
  });
});

Deno.test("kubernetes: a job without secret values makes no Secret", async () => {
  await withCluster(async (fake, client) => {
    const running = runYaml(
      client,
      task('echo "token=$TOKEN"; sleep 0.3', "environment: { TOKEN: x }"),
    );
    await runningPod(fake);
    assert.deepEqual(fake.secrets(), []);
    assert.doesNotMatch(JSON.stringify(fake.jobs()), /secretKeyRef/);
    assert.equal((await running).result.status, "completed");
  });
});

Deno.test("kubernetes: a Secret the cluster refuses fails the attempt before any Job, saying why", async () => {
  await withCluster(async (fake, client) => {
    fake.failNext(1, 403, /secrets/);
    const { result } = await runYaml(client, SECRET_JOB);
    const k = result.tasks.get("k")!;
    assert.equal(result.status, "failed");
    assert.match(k.error ?? "", /lacks permission to create secrets/);
    assert.doesNotMatch(k.error ?? "", /s3cr3t/);
    assert.deepEqual(fake.jobs(), []);
    assert.deepEqual(fake.secrets(), []);
  }, { jobsDeleted: false });
});
