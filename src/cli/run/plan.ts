/**
 * What `pt run` has decided before its scheduler starts: every setting resolved from the
 * flags, the environment and the config file, as plain data (and `pt trigger`'s settings). The options are checked, the
 * config file read and the jobs loaded in a short-lived process (`loader_process.ts`), which
 * sends this plan and the settled jobs to the scheduler's process, so that commander, the
 * TOML and YAML parsers and zod never enter the long-lived heap (bench/README.md, issue 11).
 *
 * @module
 */

import type { SshHost } from "../../core/model.ts";
import type { NotifySpec } from "../../core/notify.ts";
import type { KubernetesSettings } from "../../exec/kube/types.ts";
import type { LogLevel } from "../../scheduler/log.ts";

/** The hidden command of the loader process that checks `pt run`'s options and loads its jobs. */
export const PREPARE_COMMAND = "__run-prepare";

/** The hidden command of the loader process that loads a jobs folder for a reload. */
export const LOAD_COMMAND = "__run-load";

/** The HTTP API's settings, when it is on. */
export interface ApiPlan {
  /** Address to listen on. */
  readonly host: string;
  /** Port; 0 for any free one. */
  readonly port: number;
  /** Bearer token, or null for none. */
  readonly token: string | null;
  /** A non-loopback address without a token was allowed. */
  readonly insecure: boolean;
  /** The browser origin allowed by CORS, or null. */
  readonly cors: string | null;
  /** Names clients may use in `Host` besides loopback ones. */
  readonly allowedHosts: readonly string[];
  /** Certificate and key (PEM text, read and checked already) for HTTPS, or null. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
}

/** `pt run`'s settings, resolved and checked. */
export interface RunPlan {
  /** The jobs folder, as given. */
  readonly dir: string;
  /** The database file, or `:memory:`. */
  readonly storagePath: string;
  /** Concurrent runs across jobs, or null for no limit. */
  readonly maxJobs: number | null;
  /** Concurrent tasks per run. */
  readonly maxTasks: number;
  /** Seconds running tasks get to finish on shutdown. */
  readonly graceSecs: number;
  /** Runs kept per job. */
  readonly keepRuns: number;
  /** `--tick-interval` as given (it has no effect), or null. */
  readonly tickInterval: number | null;
  /** The API's settings, or null when it is off. */
  readonly api: ApiPlan | null;
  /** Reload the jobs when their files change. */
  readonly watch: boolean;
  /** Log lines as JSON. */
  readonly logJson: boolean;
  /** How much is logged. */
  readonly logLevel: LogLevel;
  /** The config file's `[hosts]`, for `host:` (also on reloads). */
  readonly hosts: Readonly<Record<string, SshHost>>;
  /** The config file's `[[notify.default]]`. */
  readonly notifyDefaults: readonly NotifySpec[];
  /** The config file's `[kubernetes]`. */
  readonly kubernetes: KubernetesSettings;
}

/** `pt trigger`'s settings (without `--remote`), resolved and checked. */
export interface TriggerPlan {
  /** The jobs folder, as given. */
  readonly dir: string;
  /** The job to run. */
  readonly jobId: string;
  /** The database file. */
  readonly storagePath: string;
  /** Concurrent tasks in the run. */
  readonly maxTasks: number;
  /** Run even if a job dependency is not satisfied. */
  readonly force: boolean;
  /** Print only the final line. */
  readonly quiet: boolean;
  /** `-p NAME=VALUE` values. */
  readonly params: Readonly<Record<string, string>>;
  /** The config file's `[hosts]`, for `host:`. */
  readonly hosts: Readonly<Record<string, SshHost>>;
  /** The config file's `[[notify.default]]`. */
  readonly notifyDefaults: readonly NotifySpec[];
  /** The config file's `[kubernetes]`. */
  readonly kubernetes: KubernetesSettings;
}
