/**
 * Petit's settings: flag > environment variable > config file > default. The config file is
 * TOML at `$XDG_CONFIG_HOME/petit/config.toml` (or `--config FILE`).
 *
 * @module
 */

import { join } from "node:path";
import { parse, TomlError } from "smol-toml";
import { z } from "zod";
import { DEFAULT_SSH_PORT, ID_PATTERN, type SshHost } from "../core/model.ts";
import type { NotifySpec } from "../core/notify.ts";
import { buildNotify } from "./notify.ts";
import type { KubernetesSettings } from "../exec/kube/types.ts";
import { DNS_LABEL_PATTERN } from "./kube_schema.ts";
import { NotifyEntrySchema } from "./schema.ts";

const ConfigFileSchema = z.strictObject({
  storage: z.strictObject({
    engine: z.enum(["memory", "sqlite"]).optional(),
    path: z.string().optional(),
  }).optional(),
  api: z.strictObject({
    enabled: z.boolean().optional(),
    host: z.string().optional(),
    port: z.int().min(0).max(65535).optional(),
    token: z.string().min(1).optional(),
    cors: z.string().optional(),
    // Names clients use for the API in Host, besides loopback names and addresses.
    allowed_hosts: z.array(z.string()).optional(),
    // PEM files: serve HTTPS. Both or neither (checked by `pt run`, which names the other).
    tls_cert: z.string().min(1).optional(),
    tls_key: z.string().min(1).optional(),
  }).optional(),
  scheduler: z.strictObject({
    max_jobs: z.int().min(1).optional(),
    max_tasks: z.int().min(1).optional(),
    grace_secs: z.number().min(0).optional(),
    keep_runs: z.int().min(1).optional(),
    // Petit's polling interval; accepted so its config files load, but unused: Petit for
    // Deno arms one timer per slot instead of ticking.
    tick_interval: z.number().positive().optional(),
  }).optional(),
  // `[hosts.NAME]`: machines command tasks run on over SSH (`host: NAME` in a job file).
  hosts: z.record(
    z.string().regex(ID_PATTERN, { error: "host names use letters, digits, _ . -" }),
    z.strictObject({
      address: z.string().min(1),
      port: z.int().min(1).max(65535).optional(),
      user: z.string().min(1).optional(),
      identity_file: z.string().min(1).optional(),
      known_hosts: z.string().min(1).optional(),
      strict_host_key_checking: z.boolean().optional(),
    }),
  ).optional(),
  // `[kubernetes]`: the cluster `type: kubernetes` tasks run on. Read when such a task runs.
  kubernetes: z.strictObject({
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    namespace: z.string().regex(DNS_LABEL_PATTERN, {
      error: "must be a namespace name: lower-case letters, digits and -, at most 63",
    }).optional(),
  }).optional(),
  // `[[notify.default]]` entries: the notifications of every job without its own `notify:`.
  notify: z.strictObject({
    default: z.array(NotifyEntrySchema).optional(),
  }).optional(),
});

/** The content of a config file. */
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** The notifications of jobs that have no `notify:` of their own (`[[notify.default]]`). */
export function notifyDefaults(file: ConfigFile): NotifySpec[] {
  return (file.notify?.default ?? []).map(buildNotify);
}

/** The SSH hosts of a config file (`[hosts.NAME]`), by name, with defaults filled in. */
export function sshHosts(file: ConfigFile): Record<string, SshHost> {
  const out: Record<string, SshHost> = {};
  for (const [name, h] of Object.entries(file.hosts ?? {})) {
    out[name] = {
      name,
      address: h.address,
      port: h.port ?? DEFAULT_SSH_PORT,
      user: h.user ?? null,
      identityFile: h.identity_file ?? null,
      knownHosts: h.known_hosts ?? null,
      strictHostKeyChecking: h.strict_host_key_checking ?? true,
    };
  }
  return out;
}

/**
 * The cluster of Kubernetes tasks (`[kubernetes]`); a field not set is null (its default is
 * resolved with the kubeconfig, when a Kubernetes task runs).
 */
export function kubernetesSettings(file: ConfigFile): KubernetesSettings {
  return {
    kubeconfig: file.kubernetes?.kubeconfig ?? null,
    context: file.kubernetes?.context ?? null,
    namespace: file.kubernetes?.namespace ?? null,
  };
}

/** A config file that is missing (when named explicitly) or invalid. */
export class SettingsError extends Error {
  /** Builds the error; `message` names the file and the problem. */
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

/** The default config file path. */
export function defaultConfigPath(env: (k: string) => string | undefined): string {
  const base = env("XDG_CONFIG_HOME") ?? join(env("HOME") ?? ".", ".config");
  return join(base, "petit", "config.toml");
}

/**
 * Reads the config file. An explicit path (`explicit` or PETIT_CONFIG) that is missing or
 * invalid is an error; the default file may be absent.
 */
export async function readConfigFile(
  explicit: string | undefined,
  env: (k: string) => string | undefined = (k) => Deno.env.get(k),
): Promise<ConfigFile> {
  // PETIT_CONFIG names a file as explicitly as --config: missing, it is an error too.
  const named = explicit ?? env("PETIT_CONFIG");
  const path = named ?? defaultConfigPath(env);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound && named === undefined) return {};
    if (err instanceof Deno.errors.NotFound) {
      throw new SettingsError(`config file not found: ${path}`);
    }
    throw new SettingsError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      throw new SettingsError(`${path}:${err.line}:${err.column}: ${err.message.split("\n")[0]}`);
    }
    throw err;
  }
  const result = ConfigFileSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.join(".");
    const message = issue.code === "unrecognized_keys"
      ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}${where ? ` in [${where}]` : ""}`
      : `${where}: ${issue.message}`;
    throw new SettingsError(`${path}: ${message}`);
  }
  return result.data;
}
