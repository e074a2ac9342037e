/**
 * The Tables of the fake API server (`../fake_api_server.ts`): what `kubectl get` asks for
 * (`Accept: application/json;as=Table;…`) and prints, with the columns and cells of a recent
 * kube-apiserver for Jobs, Pods and Secrets. No permissions needed.
 *
 * @module
 */

import type { AnyObj, JobObj, PodObj, SecretObj } from "./objects.ts";

/** The columns of each resource's Table, as a recent kube-apiserver prints them. */
const COLUMNS: Record<"jobs" | "pods" | "secrets", string[]> = {
  jobs: ["Name", "Status", "Completions", "Duration", "Age"],
  pods: ["Name", "Ready", "Status", "Restarts", "Age"],
  secrets: ["Name", "Type", "Data", "Age"],
};

/** `kubectl get`'s Table of `items`, all of `resource`. */
export function tableOf(
  resource: "jobs" | "pods" | "secrets",
  items: AnyObj[],
  resourceVersion: string,
): unknown {
  const names = COLUMNS[resource];
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: names.map((name) => ({
      name,
      type: "string",
      format: name === "Name" ? "name" : "",
      description: "",
      priority: 0,
    })),
    rows: items.map((o) => ({
      cells: o.kind === "Job" ? jobCells(o) : o.kind === "Pod" ? podCells(o) : secretCells(o),
      object: {
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: o.metadata,
      },
    })),
  };
}

function jobCells(job: JobObj): string[] {
  const s = job.status;
  const done = s.conditions?.find((c) => c.status === "True")?.type;
  const status = done ?? (job.metadata.deletionTimestamp ? "Terminating" : "Running");
  const start = s.startTime ? Date.parse(s.startTime) : null;
  const end = s.completionTime ? Date.parse(s.completionTime) : Date.now();
  return [
    job.metadata.name,
    status,
    `${s.succeeded ?? 0}/${job.spec.completions}`,
    start === null ? "" : age(end - start),
    age(Date.now() - Date.parse(job.metadata.creationTimestamp)),
  ];
}

function podCells(pod: PodObj): string[] {
  const c = pod.status.containerStatuses?.[0];
  const status = pod.metadata.deletionTimestamp
    ? "Terminating"
    : pod.status.reason ?? c?.state.waiting?.reason ?? c?.state.terminated?.reason ??
      pod.status.phase;
  return [
    pod.metadata.name,
    `${c?.ready ? 1 : 0}/${pod.spec.containers.length}`,
    status,
    "0",
    age(Date.now() - Date.parse(pod.metadata.creationTimestamp)),
  ];
}

function secretCells(secret: SecretObj): (string | number)[] {
  // Data is a number: how many keys, as the real printer counts them.
  return [
    secret.metadata.name,
    secret.type,
    Object.keys(secret.data ?? {}).length,
    age(Date.now() - Date.parse(secret.metadata.creationTimestamp)),
  ];
}

/** kubectl's short durations: 5s, 3m2s, 2h. */
function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 3 * 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}
