/**
 * `deno task release`: `pt` binaries for x86-64 and aarch64 Linux (Raspberry Pi OS 64-bit) in
 * `dist/bin/release/`, with `SHA256SUMS`, and how to install one on a Pi.
 *
 * The `deno compile` flags (permissions, V8 flags, `--include` of the parse worker) are read
 * from deno.json's `compile` task, so a binary and `deno task compile` never differ. The web
 * UI's files are text imports of `src/ui/assets.ts`, part of the module graph: compile carries
 * them without an `--include`.
 *
 * `deno compile` builds on a `denort` runtime for each target, downloaded once into
 * `$DENO_DIR/dl/release/v<deno version>/denort-<target>.zip`. A builder without access to
 * dl.deno.land puts the zips there by hand; with `--offline` the task does not try to
 * download and fails at once, naming the missing files.
 *
 * Needs --allow-read, --allow-write (dist/bin/release), --allow-run (deno) and --allow-env.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The targets built, in order. */
export const TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] as const;

/** A `deno compile` target. */
export type Target = (typeof TARGETS)[number];

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where the binaries and `SHA256SUMS` go (ignored by git). */
export const OUT_DIR = join(ROOT, "dist/bin/release");

/**
 * The flags of deno.json's `compile` task without `--output` and the entry point, which the
 * release sets per target: `deno compile <flags> --output <file> <entry>`.
 */
export function compileFlags(compileTask: string): { flags: string[]; entry: string } {
  const words = compileTask.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "compile" || words.length < 3) {
    throw new Error(`the compile task is not "deno compile … <entry>": ${compileTask}`);
  }
  const entry = words.at(-1)!;
  const flags: string[] = [];
  for (let i = 2; i < words.length - 1; i++) {
    if (words[i] === "--output" || words[i] === "-o") i++;
    else if (words[i].startsWith("--output=") || words[i].startsWith("--target")) continue;
    else flags.push(words[i]);
  }
  return { flags, entry };
}

/** The runtime `deno compile` needs for `target`, where it looks for it first. */
export function denortZip(denoDir: string, denoVersion: string, target: Target): string {
  return join(denoDir, "dl", "release", `v${denoVersion}`, `denort-${target}.zip`);
}

/** The binary's file name for a version and target. */
export function binaryName(version: string, target: Target): string {
  return `pt-${version}-${target}`;
}

/** How to put the aarch64 binary on a Pi and check it. */
export function installText(version: string): string {
  const bin = binaryName(version, "aarch64-unknown-linux-gnu");
  return `On the Pi (Raspberry Pi OS 64-bit: uname -m says aarch64):
  scp dist/bin/release/${bin} dist/bin/release/SHA256SUMS pi@raspberrypi.local:
  ssh pi@raspberrypi.local
  sha256sum --check --ignore-missing SHA256SUMS
  sudo install -m 0755 ${bin} /usr/local/bin/pt
  pt doctor        # every line ok, exit 0
  pt validate ~/jobs && pt run ~/jobs
Under systemd: see "Running under systemd" in README.md.`;
}

async function denoDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  if (!out.success) throw new Error("deno info --json failed");
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Builds every target; returns the exit code. `--offline`: never try to download. */
export async function release(args: readonly string[]): Promise<number> {
  const offline = args.includes("--offline");
  const meta = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const version: string = meta.version;
  const { flags, entry } = compileFlags(meta.tasks.compile.command);
  const dir = await denoDir();
  const missing = TARGETS.map((t) => denortZip(dir, Deno.version.deno, t)).filter((z) =>
    !exists(z)
  );
  const offlineHelp = () =>
    `release: deno compile needs a denort runtime per target and could not get ${
      missing.length === 1 ? "it" : "them"
    }.\nOn a machine without access to dl.deno.land, copy these files from one that has it ` +
    `(https://dl.deno.land/release/v${Deno.version.deno}/<file name>):\n` +
    missing.map((m) => `  ${m}`).join("\n");
  if (offline && missing.length > 0) {
    console.error(offlineHelp());
    return 1;
  }

  // The binaries embed the bundle (dist/pt/), as `deno task compile` does.
  const bundled = await new Deno.Command(Deno.execPath(), {
    args: ["task", "bundle"],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!bundled.success) return 1;
  await Deno.mkdir(OUT_DIR, { recursive: true });
  const sums: string[] = [];
  for (const target of TARGETS) {
    const output = join(OUT_DIR, binaryName(version, target));
    console.error(`release: ${target} → ${output}`);
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["compile", ...flags, "--target", target, "--output", output, entry],
      cwd: ROOT,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!built.success) {
      if (!exists(denortZip(dir, Deno.version.deno, target))) console.error(offlineHelp());
      return 1;
    }
    sums.push(`${await sha256(output)}  ${binaryName(version, target)}`);
  }
  await Deno.writeTextFile(join(OUT_DIR, "SHA256SUMS"), sums.join("\n") + "\n");
  console.log(sums.join("\n"));
  console.log(`\n${installText(version)}`);
  return 0;
}

if (import.meta.main) Deno.exit(await release(Deno.args));
