/**
 * A 200-byte static program that does what util-linux `setsid PATH ARGS…` does for a task,
 * without its cost: `setsid()`, then `execve(PATH, [PATH, ARGS…], environ)`, and for a file
 * the kernel cannot run (ENOEXEC: a script without `#!`) `/bin/sh PATH ARGS…`, as `execvp`
 * does; exit 127 when nothing could run. util-linux's `setsid` is a dynamic program: each
 * spawn pays for the dynamic loader and libc's start-up before the task's own exec (~0.8 ms
 * of the ~1.7 ms a `true` task costs here). This one is two system calls.
 *
 * It is written once per `pt` process into a private temporary folder (mode 0700) and
 * checked by running it; where that fails (a `noexec` temporary folder, an architecture
 * without code here) Petit uses util-linux's `setsid` as before. The machine code is
 * below with its assembly (assembled with `llvm-mc`, position-independent, no relocations);
 * the tests run both variants (aarch64 under qemu-user) and check the new session, the
 * arguments, the environment, the `/bin/sh` fallback and exit 127.
 *
 * @module
 */

import { privateTempDir, removeQuietly } from "../temp_dir.ts";

/**
 * x86-64 code (Intel syntax):
 *
 * ```text
 * _start: mov eax, 112            ; setsid()
 *         syscall
 *         mov rbx, rsp            ; [rsp] argc, [rsp+8] argv[0], [rsp+16] argv[1] …
 *         mov rcx, [rbx]
 *         lea r12, [rbx+16]       ; &argv[1]
 *         lea r13, [rbx+rcx*8+16] ; envp
 *         mov rdi, [r12]
 *         mov rsi, r12
 *         mov rdx, r13
 *         mov eax, 59             ; execve(argv[1], &argv[1], envp)
 *         syscall
 *         cmp eax, -8             ; ENOEXEC: run it with /bin/sh
 *         jne fail
 *         lea rdi, [rip+sh]
 *         mov [rbx+8], rdi        ; argv[0] = "/bin/sh"
 *         lea rsi, [rbx+8]
 *         mov rdx, r13
 *         mov eax, 59             ; execve("/bin/sh", &argv[0], envp)
 *         syscall
 * fail:   mov edi, 127
 *         mov eax, 231            ; exit_group(127)
 *         syscall
 * sh:     .asciz "/bin/sh"
 * ```
 */
const X86_64_CODE = "b8700000000f054889e3488b0b4c8d63104c8d6ccb10498b3c244c89e64c89eab83b00000" +
  "00f0583f8f87519488d3d1e00000048897b08488d73084c89eab83b0000000f05bf7f000000b8e70000000f052f" +
  "62696e2f736800";

/**
 * aarch64 code, the same steps:
 *
 * ```text
 * _start: mov x8, #157            // setsid()
 *         svc #0
 *         mov x19, sp
 *         ldr x20, [x19]          // argc
 *         add x21, x19, #16       // &argv[1]
 *         add x22, x19, x20, lsl #3
 *         add x22, x22, #16       // envp
 *         ldr x0, [x21]
 *         mov x1, x21
 *         mov x2, x22
 *         mov x8, #221            // execve(argv[1], &argv[1], envp)
 *         svc #0
 *         cmn x0, #8              // ENOEXEC: run it with /bin/sh
 *         b.ne fail
 *         adr x0, sh
 *         str x0, [x19, #8]       // argv[0] = "/bin/sh"
 *         add x1, x19, #8
 *         mov x2, x22
 *         mov x8, #221            // execve("/bin/sh", &argv[0], envp)
 *         svc #0
 * fail:   mov x0, #127
 *         mov x8, #94             // exit_group(127)
 *         svc #0
 * sh:     .asciz "/bin/sh"
 * ```
 */
const AARCH64_CODE = "a81380d2010000d4f3030091740240f975420091760e148bd6420091a00240f9e10315aae2" +
  "0316aaa81b80d2010000d41f2000b1e100005420010010600600f961220091e20316aaa81b80d2010000d4e00f80" +
  "d2c80b80d2010000d42f62696e2f736800";

/** The architectures the stub exists for, with their ELF machine numbers and code. */
const MACHINES: Readonly<Record<string, { machine: number; code: string }>> = {
  x86_64: { machine: 62, code: X86_64_CODE },
  aarch64: { machine: 183, code: AARCH64_CODE },
};

/** Where the program is loaded; 64 KiB-aligned, for kernels with 4, 16 or 64 KiB pages. */
const BASE = 0x400000;

/** Sizes of the ELF64 file header and of one program header. */
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;

/**
 * The stub as a static ELF64 executable for `arch` (`Deno.build.arch`), or null for an
 * architecture it has no code for: one header, one read+execute segment holding it all.
 */
export function setsidStubElf(arch: string): Uint8Array | null {
  const spec = MACHINES[arch];
  if (!spec) return null;
  const code = Uint8Array.from(spec.code.match(/../g)!, (h) => parseInt(h, 16));
  const size = EHDR_SIZE + PHDR_SIZE + code.length;
  const elf = new Uint8Array(size);
  const v = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // "\x7fELF", 64-bit, little-endian, version 1
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, spec.machine, true);
  v.setUint32(20, 1, true); // EV_CURRENT
  v.setBigUint64(24, BigInt(BASE + EHDR_SIZE + PHDR_SIZE), true); // entry: the code
  v.setBigUint64(32, BigInt(EHDR_SIZE), true); // program headers right after this one
  v.setUint16(52, EHDR_SIZE, true);
  v.setUint16(54, PHDR_SIZE, true);
  v.setUint16(56, 1, true); // one program header, no sections
  const ph = EHDR_SIZE;
  v.setUint32(ph, 1, true); // PT_LOAD
  v.setUint32(ph + 4, 5, true); // PF_R | PF_X
  v.setBigUint64(ph + 16, BigInt(BASE), true); // p_vaddr (p_offset 0)
  v.setBigUint64(ph + 24, BigInt(BASE), true); // p_paddr
  v.setBigUint64(ph + 32, BigInt(size), true); // p_filesz
  v.setBigUint64(ph + 40, BigInt(size), true); // p_memsz
  v.setBigUint64(ph + 48, 0x10000n, true); // p_align
  elf.set(code, EHDR_SIZE + PHDR_SIZE);
  return elf;
}

/** The prefix of the stub's folders: `petit-setsid-<pid>-<random>` in the temporary folder. */
const DIR_PREFIX = "petit-setsid-";

/**
 * Writes the stub for this machine into a new private temporary folder, checks that it runs
 * (`/bin/sh -c "exit 7"` through it must exit 7) and returns its path; null when it cannot
 * be used here. The folder is removed when the process exits normally; folders of `pt`
 * processes that are gone (killed) are removed on the next install.
 */
export function installSetsidStub(): string | null {
  const elf = setsidStubElf(Deno.build.arch);
  if (elf === null || Deno.build.os !== "linux") return null;
  let dir: string | null = null;
  try {
    removeStaleStubs();
  } catch {
    // No `ps`, an unreadable temporary folder: the stale folders stay, harmless.
  }
  try {
    dir = privateTempDir(`${DIR_PREFIX}${Deno.pid}-`);
    const path = `${dir}/setsid`;
    Deno.writeFileSync(path, elf, { mode: 0o700 });
    const check = new Deno.Command(path, {
      args: ["/bin/sh", "-c", "exit 7"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync();
    if (check.code !== 7) throw new Error(`the stub exited ${check.code}`);
    return path;
  } catch {
    // A noexec temporary folder, no /bin/sh, no permission: util-linux's setsid will do.
    if (dir !== null) removeQuietly(dir);
    return null;
  }
}

/**
 * Removes the stub folders of `pt` processes that no longer exist, asking `ps` which of
 * their pids are alive (Deno reads `/proc` only with every permission). A folder removed
 * from under a running `pt` (by a temporary-folder cleaner too) is written again by that
 * `pt` at its next spawn (`groupLeaderProgram` in `groups.ts`).
 */
function removeStaleStubs(): void {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  const pattern = new RegExp(`^${DIR_PREFIX}(\\d+)-`);
  const found: { pid: number; path: string }[] = [];
  for (const entry of Deno.readDirSync(tmp)) {
    const m = pattern.exec(entry.name);
    if (m && entry.isDirectory && Number(m[1]) !== Deno.pid) {
      found.push({ pid: Number(m[1]), path: `${tmp}/${entry.name}` });
    }
  }
  if (found.length === 0) return;
  // `ps` lists the pids that exist (and exits 1 when none does).
  const out = new Deno.Command("ps", {
    args: ["-o", "pid=", "-p", found.map((f) => f.pid).join(",")],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const alive = new Set(
    new TextDecoder().decode(out.stdout).split(/\s+/).filter(Boolean).map(Number),
  );
  for (const f of found) if (!alive.has(f.pid)) removeQuietly(f.path);
}
