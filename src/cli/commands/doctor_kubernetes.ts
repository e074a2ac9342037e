/**
 * `pt doctor kubernetes`: checks, on the cluster of the config file's `[kubernetes]`, what
 * Kubernetes tasks need, with the very code that runs them: a tiny Job prints a line and a
 * value named in the job's `secrets:` (which travels in a Secret) and exits 3 (its log, the
 * value and the exit code must come back), a second one (`sleep 300`) is cancelled once it
 * runs, and neither Jobs nor pods may be left. One `✓` or `✗` line per check, exit 0
 * when all pass, 1 otherwise. The image needs `sh`, `echo` and `sleep` (busybox by default).
 *
 * @module
 */

import type { Command } from "commander";
import type { JobSpec, KubernetesSpec, TaskSpec } from "../../core/model.ts";
import { NO_RETRY } from "../../core/model.ts";
import { type AttemptResult, kubernetesAttempt } from "../../exec/attempt/mod.ts";
import { labelValue, randomSuffix, runSelector } from "../../exec/kube/manifest.ts";
import type { KubeClient } from "../../exec/kube/types.ts";
import { readCluster } from "../cluster.ts";
import { CONFIG_HELP } from "../jobs.ts";
import { ExitCode } from "../output.ts";

/**
 * The image of the checks' Jobs unless `--image` says otherwise.
 *
 * @default {"busybox:1.36"}
 */
export const DOCTOR_IMAGE = "busybox:1.36";

/**
 * Longest a check's Job may take, image pull included (a Raspberry Pi on a slow link).
 *
 * @default {180000}
 */
export const DOCTOR_TIMEOUT_MS = 180_000;

/** The line the first Job prints, and the exit code it ends with. */
const MARKER = "petit-doctor-ok";
const EXIT_CODE = 3;
/** The secret variable the first Job prints (a random value of no use but this check). */
const SECRET_NAME = "PETIT_DOCTOR_SECRET";

/** One check's outcome. */
interface Check {
  readonly ok: boolean;
  readonly label: string;
  readonly detail: string;
}

/** Registers `doctor kubernetes` under `doctor`. */
export function registerDoctorKubernetes(doctor: Command): void {
  doctor.command("kubernetes")
    .description(
      "run a tiny Job on the configured cluster: its log, a secret, its exit code, a cancel, no leftovers",
    )
    .option("--config <file>", CONFIG_HELP)
    .option("--image <image>", "image of the Jobs (needs sh, echo and sleep)", DOCTOR_IMAGE)
    .action(async (flags: { config?: string; image: string }) => {
      const cluster = await readCluster(flags.config);
      let results: Check[];
      try {
        results = await kubernetesChecks(() => cluster.client(), flags.image);
      } finally {
        cluster.close();
      }
      for (const r of results) console.log(`${r.ok ? "✓" : "✗"} ${r.label}: ${r.detail}`);
      const failed = results.filter((r) => !r.ok).length;
      console.log(failed === 0 ? "all checks passed" : `${failed} check(s) failed`);
      if (failed > 0) throw new ExitCode(1);
    });
}

/** Runs the checks in order; without a cluster, the later ones are left out. */
async function kubernetesChecks(
  open: () => Promise<KubeClient>,
  image: string,
): Promise<Check[]> {
  const results: Check[] = [];
  let client: KubeClient;
  try {
    client = await open();
  } catch (err) {
    return [{ ok: false, label: "cluster", detail: message(err) }];
  }
  const { server, source, namespace } = client.access;
  results.push({
    ok: true,
    label: "cluster",
    detail: `${server} (${source}), namespace ${namespace}`,
  });
  const runId = `doctor-${Date.now().toString(36)}-${randomSuffix()}`;
  const attempt = (
    taskId: string,
    command: string[],
    env: Record<string, string>,
    signal?: AbortSignal,
  ) => kubernetesAttempt()(task(taskId, image, command, env), context(runId, client, signal));

  const began = Date.now();
  const secret = randomSuffix(16);
  const first = await attempt("exit", [
    "sh",
    "-c",
    `echo ${MARKER}; echo "secret=$${SECRET_NAME}"; exit ${EXIT_CODE}`,
  ], { [SECRET_NAME]: secret });
  const took = `${((Date.now() - began) / 1000).toFixed(1)} s`;
  const printed = first.logs.stdout.split("\n").includes(MARKER);
  results.push({
    ok: printed,
    label: "log",
    detail: printed
      ? `the Job's log has "${MARKER}" (${took})`
      : `no "${MARKER}" line: ${why(first)}`,
  });
  const secretCame = first.logs.stdout.split("\n").includes(`secret=${secret}`);
  results.push({
    ok: secretCame,
    label: "secret",
    detail: secretCame
      ? `a value named in secrets: reached the container through a Secret`
      : `the value of ${SECRET_NAME} did not reach the container: ${why(first)}`,
  });
  results.push({
    ok: first.exitCode === EXIT_CODE,
    label: "exit code",
    detail: first.exitCode === EXIT_CODE
      ? `${EXIT_CODE}, from the container's terminated state`
      : `expected ${EXIT_CODE}: ${why(first)}`,
  });

  const cancel = new AbortController();
  const running = whenRunning(client, runId, "cancel", cancel.signal).then(() => cancel.abort());
  const second = await attempt("cancel", ["sleep", "300"], {}, cancel.signal);
  cancel.abort();
  await running;
  results.push({
    ok: second.cancelled,
    label: "cancel",
    detail: second.cancelled
      ? "a running Job (sleep 300) was cancelled and deleted"
      : `not cancelled: ${why(second)}`,
  });

  try {
    const selector = runSelector(runId);
    const jobs = await client.listJobs(namespace, selector);
    const pods = await client.listPods(namespace, selector);
    const left = [...jobs, ...pods].map((o) => `${o.kind ?? "Pod"} ${o.metadata.name}`);
    results.push({
      ok: left.length === 0,
      label: "clean-up",
      detail: left.length === 0
        ? "no Job or pod of the checks is left"
        : `left on the cluster: ${left.join(", ")}`,
    });
  } catch (err) {
    results.push({ ok: false, label: "clean-up", detail: message(err) });
  }
  return results;
}

/** Resolves once a pod of the check's task runs (or `signal` aborts). */
async function whenRunning(
  client: KubeClient,
  runId: string,
  taskId: string,
  signal: AbortSignal,
): Promise<void> {
  const selector = `${runSelector(runId)},petit.dev/task=${labelValue(taskId)}`;
  while (!signal.aborted) {
    try {
      const pods = await client.listPods(client.access.namespace, selector);
      if (pods.some((p) => p.status?.phase === "Running")) return;
    } catch {
      // The attempt reports API errors; keep looking until it ends.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function task(
  id: string,
  image: string,
  command: string[],
  environment: Record<string, string>,
): TaskSpec {
  const kubernetes: KubernetesSpec = {
    image,
    command,
    args: [],
    namespace: null,
    environment,
    requests: {},
    limits: {},
    nodeSelector: {},
    serviceAccount: null,
    imagePullPolicy: null,
  };
  return {
    id,
    name: id,
    dependsOn: [],
    condition: "all_success",
    retry: NO_RETRY,
    timeoutMs: DOCTOR_TIMEOUT_MS,
    command: null,
    custom: null,
    kubernetes,
  };
}

function context(runId: string, client: KubeClient, signal?: AbortSignal) {
  const job: JobSpec = {
    id: "petit-doctor",
    name: "pt doctor kubernetes",
    description: null,
    schedule: null,
    enabled: true,
    maxConcurrency: null,
    config: {},
    environment: {},
    secrets: [SECRET_NAME],
    dependsOn: [],
    catchup: "none",
    catchupLimit: 1,
    tasks: [],
    file: "",
  };
  return {
    job,
    runId,
    attempt: 1,
    templates: { jobId: job.id, runId, config: {}, tasks: new Map() },
    baseEnv: () => ({}),
    runDir: "",
    outputFile: "",
    scheduledFor: null,
    timeoutMs: DOCTOR_TIMEOUT_MS,
    signal,
    kubernetes: () => Promise.resolve(client),
    started: () => {},
  };
}

/** What went wrong with an attempt: its error, with the end of its output. */
function why(result: AttemptResult): string {
  const tail = (result.logs.stderr || result.logs.stdout).trim().split("\n").slice(-3).join(" | ");
  return `${result.error || "no error"}${tail && !tail.includes(result.error) ? ` (${tail})` : ""}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
