/**
 * A throw-away OpenSSH server for tests: `/usr/sbin/sshd -D` on 127.0.0.1 at a free port,
 * with a new host key and user key, the user key authorized for the current user, and a
 * known_hosts file naming the server. Needs openssh-server and openssh-client;
 * {@linkcode startSshd} resolves null when they are missing or sshd does not start.
 *
 * @module
 */

import { join } from "node:path";
import type { SshHost } from "../../src/core/model.ts";

/** A running test server. */
export interface SshServer {
  /** A host entry that reaches it with the test keys. */
  readonly host: SshHost;
  /** The folder of keys and config files. */
  readonly dir: string;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd";

async function run(program: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** A port that was free a moment ago. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until `port` accepts connections, up to `ms`. */
async function listening(port: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

/** Starts a server, or resolves null when sshd is missing or does not start. */
export async function startSshd(): Promise<SshServer | null> {
  try {
    await Deno.stat(SSHD);
  } catch {
    return null;
  }
  const dir = await Deno.makeTempDir({ prefix: "petit-sshd-" });
  let child: Deno.ChildProcess | null = null;
  try {
    const keygen = (file: string) =>
      run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "petit-test", "-f", file]);
    if (!(await keygen(join(dir, "host_key"))) || !(await keygen(join(dir, "user_key")))) {
      throw new Error("ssh-keygen failed");
    }
    await Deno.copyFile(join(dir, "user_key.pub"), join(dir, "authorized_keys"));
    const port = freePort();
    const user = Deno.env.get("USER") ?? (Deno.uid() === 0 ? "root" : "");
    await Deno.writeTextFile(
      join(dir, "sshd_config"),
      [
        `ListenAddress 127.0.0.1`,
        `Port ${port}`,
        `HostKey ${join(dir, "host_key")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `StrictModes no`,
        `PasswordAuthentication no`,
        `KbdInteractiveAuthentication no`,
        `PermitRootLogin prohibit-password`,
        `UsePAM no`,
        `LogLevel ERROR`,
      ].join("\n") + "\n",
    );
    const hostPub = (await Deno.readTextFile(join(dir, "host_key.pub"))).trim();
    await Deno.writeTextFile(join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostPub}\n`);
    // sshd wants its privilege separation folder.
    await Deno.mkdir("/run/sshd", { recursive: true }).catch(() => {});
    child = new Deno.Command(SSHD, {
      args: ["-D", "-e", "-f", join(dir, "sshd_config")],
      stdout: "null",
      stderr: "null",
    }).spawn();
    if (!(await listening(port, 5000))) throw new Error("sshd did not listen");
    const proc = child;
    return {
      dir,
      host: {
        name: "box",
        address: "127.0.0.1",
        port,
        user: user || null,
        identityFile: join(dir, "user_key"),
        knownHosts: join(dir, "known_hosts"),
        strictHostKeyChecking: true,
      },
      async stop() {
        try {
          proc.kill("SIGTERM");
        } catch {
          // Already gone.
        }
        await proc.status;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  } catch {
    if (child) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return null;
  }
}
