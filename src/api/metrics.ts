/**
 * Prometheus metrics (text exposition format 0.0.4). Counters and the task duration
 * histogram are fed by the event bus and count from this process's start, as Prometheus
 * counters do; gauges are read from the scheduler at scrape time.
 *
 * The job label is `job_id`, not `job`: Prometheus reserves `job` for the scrape job and
 * renames a scraped `job` label to `exported_job`, so queries on `job` would find nothing.
 *
 * @module
 */

import type { JobSpec } from "../core/model.ts";
import type { EventBus } from "../events/bus.ts";
import type { PetitEvent } from "../events/types.ts";

/** Upper bounds (seconds) of the task duration histogram: a tenth of a second to an hour. */
export const DURATION_BUCKETS: readonly number[] = [
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
  300,
  600,
  1800,
  3600,
];

/** Run statuses counted by `petit_runs_total` (every way a run can end). */
const FINAL_STATUSES = ["completed", "failed", "cancelled", "interrupted", "skipped"] as const;

/** Lateness quantiles reported by the summary. */
const QUANTILES = [0.5, 0.9, 0.99] as const;

/** The content type of the exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface Histogram {
  /** Per bucket, observations ≤ its bound (not yet cumulative). */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function labels(pairs: Readonly<Record<string, string>>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return Number.isNaN(n) ? "NaN" : String(n);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function sortedByKey<V>(map: ReadonlyMap<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Where the lateness summary comes from: the firing engine's samples (ms) since start. */
export interface LatenessSource {
  /** How late each scheduled run started after its slot, in ms. */
  readonly lateness: readonly number[];
}

/**
 * What the metrics read of a scheduler (the Scheduler implements it): its bus for the
 * counters, and its state at scrape time for the gauges.
 */
export interface MetricsSource {
  /** The bus run and task events are counted from. */
  readonly bus: Pick<EventBus, "subscribe">;
  /** The jobs loaded (every one gets run counters from zero). */
  readonly jobs: readonly JobSpec[];
  /** Whether scheduled fires are paused. */
  readonly paused: boolean;
  /** The firing engine once started, else null. */
  readonly engine: LatenessSource | null;
  /** Whether a job is enabled. */
  isEnabled(job: JobSpec): boolean;
  /** Ids of runs executing in this process. */
  activeRunIds(): string[];
}

/** Collects Petit's metrics from a scheduler's events and state. */
export class Metrics {
  readonly #scheduler: MetricsSource;
  readonly #engine: LatenessSource | null | undefined;
  /** `jobId\0status` → runs. */
  readonly #runs = new Map<string, number>();
  /** `jobId\0status` → task durations. */
  readonly #durations = new Map<string, Histogram>();
  readonly #unsubscribe: () => void;

  /**
   * Subscribes to the scheduler's bus; call {@link Metrics.close} to stop. Without `engine`,
   * the scheduler's own is used once it has started.
   */
  constructor(scheduler: MetricsSource, engine?: LatenessSource | null) {
    this.#scheduler = scheduler;
    this.#engine = engine;
    this.#unsubscribe = scheduler.bus.subscribe((e) => this.#observe(e));
  }

  /** Stops listening to events. */
  close(): void {
    this.#unsubscribe();
  }

  #observe(event: PetitEvent): void {
    switch (event.type) {
      case "job_completed":
        this.#countRun(event.job_id, event.status);
        break;
      case "job_skipped":
        this.#countRun(event.job_id, "skipped");
        break;
      case "task_completed":
      case "task_failed": {
        const status = event.type === "task_completed" ? "completed" : "failed";
        this.#observeDuration(`${event.job_id}\0${status}`, event.duration_ms / 1000);
        break;
      }
      default:
        break;
    }
  }

  #countRun(jobId: string, status: string): void {
    const key = `${jobId}\0${status}`;
    this.#runs.set(key, (this.#runs.get(key) ?? 0) + 1);
  }

  #observeDuration(key: string, seconds: number): void {
    let h = this.#durations.get(key);
    if (!h) {
      h = { counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#durations.set(key, h);
    }
    const i = DURATION_BUCKETS.findIndex((le) => seconds <= le);
    if (i >= 0) h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** The metrics in the text exposition format. */
  render(): string {
    const s = this.#scheduler;
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };

    family(
      "petit_runs_total",
      "counter",
      "Runs that ended since this process started, by job and status.",
    );
    // Loaded jobs start at zero so rate() works from their first run on.
    const runs = new Map<string, number>();
    for (const job of s.jobs) {
      for (const status of FINAL_STATUSES) runs.set(`${job.id}\0${status}`, 0);
    }
    for (const [key, n] of this.#runs) runs.set(key, n);
    for (const [key, n] of sortedByKey(runs)) {
      const [job_id, status] = key.split("\0");
      out.push(`petit_runs_total${labels({ job_id, status })} ${n}`);
    }

    family(
      "petit_task_duration_seconds",
      "histogram",
      "Duration of tasks that completed or failed, by job and status.",
    );
    for (const [key, h] of sortedByKey(this.#durations)) {
      const [job_id, status] = key.split("\0");
      const series = { job_id, status };
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += h.counts[i];
        out.push(
          `petit_task_duration_seconds_bucket${labels({ ...series, le: num(le) })} ${cumulative}`,
        );
      });
      out.push(`petit_task_duration_seconds_bucket${labels({ ...series, le: "+Inf" })} ${h.count}`);
      out.push(`petit_task_duration_seconds_sum${labels(series)} ${num(h.sum)}`);
      out.push(`petit_task_duration_seconds_count${labels(series)} ${h.count}`);
    }

    family(
      "petit_schedule_lateness_seconds",
      "summary",
      "How late scheduled runs started after their slot, over the last 10,000 fires at most.",
    );
    // As the API's engineOf(): the engine given, else the scheduler's own once started.
    const lateness = (this.#engine ?? s.engine)?.lateness ?? [];
    const samples = lateness.map((ms) => ms / 1000).sort((a, b) => a - b);
    for (const q of QUANTILES) {
      out.push(
        `petit_schedule_lateness_seconds${labels({ quantile: String(q) })} ${
          num(quantile(samples, q))
        }`,
      );
    }
    out.push(`petit_schedule_lateness_seconds_sum ${num(samples.reduce((a, b) => a + b, 0))}`);
    out.push(`petit_schedule_lateness_seconds_count ${samples.length}`);

    family("petit_running_runs", "gauge", "Runs executing in this process.");
    out.push(`petit_running_runs ${s.activeRunIds().length}`);
    family("petit_jobs", "gauge", "Jobs loaded.");
    out.push(`petit_jobs ${s.jobs.length}`);
    family("petit_jobs_enabled", "gauge", "Jobs loaded and enabled.");
    out.push(`petit_jobs_enabled ${s.jobs.filter((j) => s.isEnabled(j)).length}`);
    family("petit_scheduler_paused", "gauge", "1 while scheduled fires are paused, else 0.");
    out.push(`petit_scheduler_paused ${s.paused ? 1 : 0}`);
    family(
      "petit_process_resident_memory_bytes",
      "gauge",
      "Resident set size of the Petit process.",
    );
    out.push(`petit_process_resident_memory_bytes ${Deno.memoryUsage().rss}`);
    return out.join("\n") + "\n";
  }
}
