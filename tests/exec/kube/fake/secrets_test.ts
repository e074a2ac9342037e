/**
 * The Secrets of the fake API server (`secrets.ts`) against what the real one does: through
 * bare REST calls (create, get, list, merge patch, delete, the 409, 404 and 422 answers, the
 * garbage collection of a deleted Job's Secrets), and through the real `kubectl`
 * (`PETIT_KUBECTL` names another binary; ignored when kubectl is not installed).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type FakeCluster, startFakeCluster } from "../fake_api_server.ts";
import { rest, until } from "./rest_client.ts";

const SECRETS = "/api/v1/namespaces/default/secrets";
const JOBS = "/apis/batch/v1/namespaces/default/jobs";

async function withFake(fn: (fake: FakeCluster) => Promise<void>): Promise<void> {
  const fake = await startFakeCluster({ stepMs: 10 });
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

function secret(name: string, more: Record<string, unknown> = {}) {
  return { apiVersion: "v1", kind: "Secret", metadata: { name }, ...more };
}

/** Makes a Job whose container sleeps; returns its uid. */
async function sleeper(fake: FakeCluster, name: string): Promise<string> {
  const job = await rest(fake, "POST", JOBS, {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "task", image: "alpine", command: ["sleep", "30"] }],
        },
      },
    },
  });
  assert.equal(job.status, 201);
  return job.json.metadata.uid;
}

/** A Secret owned by Jobs made for it (as Petit links them). */
async function ownedSecret(fake: FakeCluster, name: string, owners: string[] = [name]) {
  const uids: string[] = [];
  for (const owner of owners) uids.push(await sleeper(fake, owner));
  const ownerReferences = owners.map((owner, i) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    name: owner,
    uid: uids[i],
    blockOwnerDeletion: true,
  }));
  const made = await rest(fake, "POST", SECRETS, {
    ...secret(name),
    metadata: { name, ownerReferences },
    stringData: { k: "v" },
  });
  assert.equal(made.status, 201);
}

Deno.test("fake Secrets: created, got, listed, patched and deleted as the real API does", async () => {
  await withFake(async (fake) => {
    const made = await rest(fake, "POST", SECRETS, {
      ...secret("s1"),
      metadata: { name: "s1", labels: { app: "a" } },
      stringData: { TOKEN: "tök" },
      data: { TOKEN: btoa("lost"), raw: btoa("r") },
    });
    assert.equal(made.status, 201);
    assert.deepEqual([made.json.kind, made.json.type, made.json.stringData], [
      "Secret",
      "Opaque",
      undefined,
    ]);
    // stringData wins over data, stored base64 (of UTF-8).
    assert.deepEqual(made.json.data, { TOKEN: "dMO2aw==", raw: btoa("r") });
    assert.match(made.json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.ok(made.json.metadata.resourceVersion && made.json.metadata.creationTimestamp);

    const taken = await rest(fake, "POST", SECRETS, secret("s1"));
    assert.deepEqual([taken.status, taken.json.reason, taken.json.message], [
      409,
      "AlreadyExists",
      'secrets "s1" already exists',
    ]);
    const badName = await rest(fake, "POST", SECRETS, secret("Bad_Name"));
    assert.equal(badName.status, 422);
    assert.match(
      badName.json.message,
      /^Secret "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    const badKey = await rest(fake, "POST", SECRETS, secret("s2", { stringData: { "a b": "x" } }));
    assert.deepEqual([badKey.status, badKey.json.reason], [422, "Invalid"]);
    assert.match(
      badKey.json.message,
      /data\[a b\]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '\.'/,
    );
    const badB64 = await rest(fake, "POST", SECRETS, secret("s2", { data: { k: "not base64!" } }));
    assert.equal(badB64.status, 400);

    const got = await rest(fake, "GET", `${SECRETS}/s1`);
    assert.deepEqual(got, { status: 200, json: made.json });
    const missing = await rest(fake, "GET", `${SECRETS}/nope`);
    assert.deepEqual([missing.status, missing.json.reason, missing.json.message], [
      404,
      "NotFound",
      'secrets "nope" not found',
    ]);
    await rest(fake, "POST", "/api/v1/namespaces/other/secrets", {
      ...secret("s3"),
      metadata: { name: "s3", labels: { app: "a" } },
    });
    const inDefault = await rest(fake, "GET", `${SECRETS}?labelSelector=app%3Da`);
    assert.equal(inDefault.json.kind, "SecretList");
    assert.ok(inDefault.json.metadata.resourceVersion);
    assert.deepEqual(
      inDefault.json.items.map((s) => s.metadata.name),
      ["s1"],
    );
    assert.equal(inDefault.json.items[0].kind, undefined);
    const all = await rest(fake, "GET", "/api/v1/secrets?labelSelector=app%3Da");
    assert.deepEqual(
      all.json.items.map((s) => s.metadata.name),
      ["s3", "s1"].sort(),
    );

    // Owners that exist: the garbage collector deletes a Secret whose owners are all gone.
    const owner = { apiVersion: "batch/v1", kind: "Job", name: "j", uid: "", controller: true };
    owner.uid = await sleeper(fake, "j");
    const patch = { metadata: { labels: { app: null, b: "2" }, ownerReferences: [owner] } };
    const patched = await rest(
      fake,
      "PATCH",
      `${SECRETS}/s1`,
      patch,
      "application/merge-patch+json",
    );
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.json.metadata.labels, { b: "2" });
    assert.deepEqual(patched.json.metadata.ownerReferences, [owner]);
    assert.deepEqual(patched.json.data, made.json.data);
    assert.notEqual(patched.json.metadata.resourceVersion, made.json.metadata.resourceVersion);
    const other = { ...owner, name: "k", uid: await sleeper(fake, "k"), controller: false };
    const replaced = await rest(fake, "PATCH", `${SECRETS}/s1`, {
      metadata: { ownerReferences: [other] },
    }, "application/merge-patch+json");
    assert.deepEqual(replaced.json.metadata.ownerReferences, [other], "the array is replaced");
    assert.equal((await rest(fake, "PATCH", `${SECRETS}/s1`, patch)).status, 415);
    const patchMissing = await rest(
      fake,
      "PATCH",
      `${SECRETS}/nope`,
      patch,
      "application/merge-patch+json",
    );
    assert.equal(patchMissing.status, 404);

    fake.failNext(1, 403, /secrets/);
    const forbidden = await rest(
      fake,
      "PATCH",
      `${SECRETS}/s1`,
      patch,
      "application/merge-patch+json",
    );
    assert.equal(
      forbidden.json.message,
      'secrets "s1" is forbidden: User "admin" cannot patch resource "secrets" in API group "" ' +
        'in the namespace "default"',
    );
    const del = await rest(fake, "DELETE", `${SECRETS}/s1`);
    assert.equal(del.status, 200);
    assert.deepEqual([del.json.kind, del.json.status, del.json.details], [
      "Status",
      "Success",
      { name: "s1", kind: "secrets", uid: made.json.metadata.uid },
    ]);
    assert.equal((await rest(fake, "DELETE", `${SECRETS}/s1`)).status, 404);
    assert.deepEqual(fake.secrets().map((s) => [s.metadata.namespace, s.metadata.name]), [
      ["other", "s3"],
    ]);
  });
});

Deno.test("fake Secrets: a deleted Job's Secrets are collected; orphaned ones lose their owner", async () => {
  await withFake(async (fake) => {
    await ownedSecret(fake, "bg");
    await ownedSecret(fake, "fg");
    await ownedSecret(fake, "orphan");
    await ownedSecret(fake, "shared", ["one", "two"]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fake.secrets().length, 4, "Secrets whose owners exist stay");
    await rest(fake, "DELETE", `${JOBS}/bg?propagationPolicy=Background`);
    await rest(fake, "DELETE", `${JOBS}/fg`, {
      kind: "DeleteOptions",
      propagationPolicy: "Foreground",
    });
    await rest(fake, "DELETE", `${JOBS}/one?propagationPolicy=Background`);
    // No policy: batch/v1 orphans the Job's dependents, Secrets as well as pods.
    await rest(fake, "DELETE", `${JOBS}/orphan`);
    const names = () => fake.secrets().map((s) => s.metadata.name).sort();
    await until("the Secrets of bg and fg to go", () => names().join() === "orphan,shared");
    const [orphan, shared] = fake.secrets().sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1
    );
    assert.equal(orphan.metadata.ownerReferences, undefined);
    // An owner left keeps it; the reference to the one gone is removed.
    assert.deepEqual(shared.metadata.ownerReferences?.map((r) => r.name), ["two"]);
    // A Secret owned by a Job that does not exist is garbage at once.
    await rest(fake, "POST", SECRETS, {
      ...secret("dangling"),
      metadata: {
        name: "dangling",
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "x", uid: "no-such-uid" }],
      },
    });
    await until("the dangling Secret to go", () => names().join() === "orphan,shared");
  });
});

const KUBECTL = Deno.env.get("PETIT_KUBECTL") ?? "kubectl";
const ignore = !await new Deno.Command(KUBECTL, {
  args: ["version", "--client"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

/** kubectl with the fake's kubeconfig and a HOME of its own (no cache, no user state). */
/** What a kubectl run printed and how it ended. */
type Kubectl = (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

async function runKubectl(fake: FakeCluster, home: string, ...args: string[]) {
  const out = await new Deno.Command(KUBECTL, {
    args: ["--kubeconfig", fake.kubeconfigPath, "--request-timeout=10s", ...args],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: "" },
    clearEnv: true,
    stdin: "null",
    // A kubectl that hangs fails its test instead of the whole suite.
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** A fake cluster and a `kubectl` bound to it. */
function withKubectl(
  fn: (fake: FakeCluster, kubectl: Kubectl) => Promise<void>,
): Promise<void> {
  return withFake(async (fake) => {
    const home = await Deno.makeTempDir({ prefix: "petit-kubectl-home-" });
    try {
      await fn(fake, (...args) => runKubectl(fake, home, ...args));
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });
}

Deno.test({
  name: "fake Secrets: kubectl creates, lists, reads, labels and deletes a Secret",
  ignore,
  fn: () =>
    withKubectl(async (fake, kubectl) => {
      const create = await kubectl(
        "create",
        "secret",
        "generic",
        "tok",
        "--from-literal=TOKEN=abc",
        "--from-literal=b=2",
      );
      assert.equal(create.code, 0, create.stderr);
      assert.equal(create.stdout, "secret/tok created\n");
      assert.deepEqual(fake.secrets()[0].data, { TOKEN: btoa("abc"), b: btoa("2") });

      const list = await kubectl("get", "secrets", "-n", "default");
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^NAME\s+TYPE\s+DATA\s+AGE\ntok\s+Opaque\s+2\s+\d+s\n$/);
      const value = await kubectl("get", "secret", "tok", "-o", "jsonpath={.data.TOKEN}");
      assert.equal(value.stdout, btoa("abc"));

      const label = await kubectl("label", "secret", "tok", "petit.dev/job=hello");
      assert.equal(label.code, 0, label.stderr);
      assert.deepEqual(fake.secrets()[0].metadata.labels, { "petit.dev/job": "hello" });
      const selected = await kubectl(
        "get",
        "secrets",
        "-A",
        "-l",
        "petit.dev/job=hello",
        "-o",
        "name",
      );
      assert.equal(selected.stdout, "secret/tok\n");

      const taken = await kubectl("create", "secret", "generic", "tok", "--from-literal=a=b");
      assert.equal(taken.code, 1);
      // `kubectl create secret` words the server's message itself.
      assert.equal(taken.stderr, 'error: failed to create secret secrets "tok" already exists\n');
      const bad = await kubectl("create", "secret", "generic", "Bad_Name", "--from-literal=a=b");
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Secret "Bad_Name" is invalid: metadata\.name: Invalid value/);

      const del = await kubectl("delete", "secret", "tok");
      assert.equal(del.code, 0, del.stderr);
      assert.equal(del.stdout, 'secret "tok" deleted\n');
      assert.deepEqual(fake.secrets(), []);
      const gone = await kubectl("get", "secret", "tok");
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /Error from server \(NotFound\): secrets "tok" not found/);
    }),
});

Deno.test({
  name: "fake Secrets: kubectl sees a pod wait for its Secret, then the value reach its process",
  ignore,
  fn: () =>
    withKubectl(async (fake, kubectl) => {
      const made = await rest(fake, "POST", JOBS, {
        metadata: { name: "reader" },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: "Never",
              containers: [{
                name: "task",
                image: "busybox",
                command: ["sh", "-c", 'echo "token=$TOKEN"'],
                env: [{
                  name: "TOKEN",
                  valueFrom: { secretKeyRef: { name: "cred", key: "TOKEN" } },
                }],
              }],
            },
          },
        },
      });
      assert.equal(made.status, 201);
      const reason = () => fake.pods()[0]?.status?.containerStatuses?.[0].state?.waiting?.reason;
      await until("the pod to wait", () => reason() === "CreateContainerConfigError");
      const pods = await kubectl("get", "pods");
      assert.equal(pods.code, 0, pods.stderr);
      assert.match(pods.stdout, /\nreader-[a-z0-9]{5}\s+0\/1\s+CreateContainerConfigError\s+0\s/);
      const described = await kubectl(
        "get",
        "pods",
        "-o",
        "jsonpath={.items[0].status.containerStatuses[0].state.waiting.message}",
      );
      assert.equal(described.stdout, 'secret "cred" not found');

      const create = await kubectl(
        "create",
        "secret",
        "generic",
        "cred",
        "--from-literal=TOKEN=xyz",
      );
      assert.equal(create.code, 0, create.stderr);
      await until("the Job to complete", () => fake.jobs()[0].status?.succeeded === 1);
      const logs = await kubectl("logs", "job/reader");
      assert.equal(logs.code, 0, logs.stderr);
      assert.equal(logs.stdout, "token=xyz\n");
    }),
});
