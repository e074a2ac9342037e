import assert from "node:assert/strict";
import { currentPod, exitError, jobFailure, podView } from "../../../src/exec/kube/pod_state.ts";
import type { ContainerState, KubeJob, KubePod } from "../../../src/exec/kube/types.ts";

/** A pod named `p` with the given status. */
function pod(status: KubePod["status"], meta: Partial<KubePod["metadata"]> = {}): KubePod {
  return { metadata: { name: "p", ...meta }, status };
}

/** A pod whose task container is in `state`. */
function inState(state: ContainerState): KubePod {
  return pod({ phase: "Pending", containerStatuses: [{ name: "task", state }] });
}

Deno.test("podView: no pod, a pod on its way, running, ended", () => {
  assert.deepEqual(podView(null, "img"), { kind: "none" });
  assert.deepEqual(podView(pod({ phase: "Pending" }), "img"), { kind: "pending", note: null });
  assert.deepEqual(podView(inState({ waiting: { reason: "ContainerCreating" } }), "img"), {
    kind: "pending",
    note: "ContainerCreating",
  });
  assert.deepEqual(podView(inState({ running: { startedAt: "2026-01-01T00:00:00Z" } }), "img"), {
    kind: "running",
    startedAt: "2026-01-01T00:00:00Z",
  });
  assert.deepEqual(
    podView(inState({ terminated: { exitCode: 3, reason: "Error", startedAt: "t" } }), "img"),
    { kind: "terminated", exitCode: 3, reason: "Error", startedAt: "t" },
  );
});

Deno.test("podView: image and container errors fail at once, not transient", () => {
  for (const reason of ["ErrImagePull", "ImagePullBackOff", "InvalidImageName"]) {
    const view = podView(inState({ waiting: { reason, message: "not found." } }), "bad:1");
    assert.equal(view.kind, "failed");
    assert.ok(view.kind === "failed" && !view.transient);
    assert.match(
      view.kind === "failed" ? view.error : "",
      new RegExp(`^image "bad:1" cannot be pulled \\(${reason}\\): not found \\(check`),
    );
  }
  const config = podView(
    inState({ waiting: { reason: "CreateContainerConfigError", message: 'secret "x" not found' } }),
    "img",
  );
  assert.deepEqual(config, {
    kind: "failed",
    error: 'the container cannot be created (CreateContainerConfigError): secret "x" not found',
    transient: false,
  });
});

Deno.test("podView: unschedulable with the scheduler's message; evicted is transient", () => {
  const waiting = pod({
    phase: "Pending",
    conditions: [{
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message: "0/3 nodes are available:\n 3 Insufficient memory.",
    }],
  });
  assert.deepEqual(podView(waiting, "img"), {
    kind: "unschedulable",
    message: "0/3 nodes are available: 3 Insufficient memory",
  });
  const evicted = pod({
    phase: "Failed",
    reason: "Evicted",
    message: "The node was low on resource: memory.",
    containerStatuses: [{ name: "task", state: { terminated: { exitCode: 137 } } }],
  });
  assert.deepEqual(podView(evicted, "img"), {
    kind: "failed",
    error: "pod p was evicted: The node was low on resource: memory",
    transient: true,
  });
});

Deno.test("currentPod: the newest pod not being deleted", () => {
  const old = pod({}, { name: "old", creationTimestamp: "2026-01-01T00:00:00Z" });
  const fresh = pod({}, { name: "new", creationTimestamp: "2026-01-01T00:00:05Z" });
  const leaving = pod({}, {
    name: "leaving",
    creationTimestamp: "2026-01-01T00:00:09Z",
    deletionTimestamp: "2026-01-01T00:00:10Z",
  });
  assert.equal(currentPod([old, leaving, fresh])?.metadata.name, "new");
  assert.equal(currentPod([leaving])?.metadata.name, "leaving");
  assert.equal(currentPod([]), null);
});

Deno.test("jobFailure: the Failed condition's reason and message", () => {
  const job: KubeJob = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j" },
    spec: { template: { spec: { restartPolicy: "Never", containers: [] } } },
    status: {
      conditions: [{
        type: "Failed",
        status: "True",
        reason: "DeadlineExceeded",
        message: "Job was active longer than specified deadline",
      }],
    },
  };
  assert.equal(
    jobFailure(job),
    "Job j failed (DeadlineExceeded): Job was active longer than specified deadline",
  );
  assert.equal(jobFailure({ ...job, status: {} }), null);
});

Deno.test("exitError: exit code N, with OOMKilled spelt out", () => {
  assert.equal(exitError(3, "Error"), "exit code 3");
  assert.equal(
    exitError(137, "OOMKilled"),
    "exit code 137 (OOMKilled: the container went over its memory limit)",
  );
});
