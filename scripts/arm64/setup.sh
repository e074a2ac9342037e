#!/usr/bin/env bash
# An aarch64 Deno that runs on this machine, set up when missing (idempotent, as root or with
# sudo). Source it (from a script with `set -euo pipefail`) to get ARM64_DENO (the binary) and
# ARM64_EMULATED (1 under qemu, 0 on a real aarch64 machine); run it to print the binary's path.
#
# On x86-64 it needs, and installs from Debian when missing:
#   - qemu-user-static (qemu-aarch64-static);
#   - binfmt_misc mounted with the qemu-aarch64 handler registered, so aarch64 children that the
#     tests start through Deno.execPath() run too (not only the first process);
#   - the aarch64 C library: libc6:arm64 and libgcc-s1:arm64 (dpkg multiarch), or, when apt
#     cannot add arm64, libc6-arm64-cross with QEMU_LD_PREFIX=/usr/aarch64-linux-gnu;
#   - Deno for aarch64 from npm (@deno/linux-arm64-glibc, the version of the `deno` on PATH),
#     kept in $PETIT_ARM64_CACHE (default ~/.cache/petit/arm64).
# On an aarch64 machine (a Raspberry Pi) it installs nothing: ARM64_DENO is the `deno` on PATH.

_petit_arm64_setup() {
  local say="setup:arm64:"
  local version
  version="${PETIT_DENO_VERSION:-$(deno --version | sed -n '1s/^deno \([^ ]*\).*/\1/p')}"
  if [ -z "$version" ]; then
    echo "$say cannot tell the Deno version (install deno, or set PETIT_DENO_VERSION)" >&2
    return 1
  fi

  case "$(uname -m)" in
    aarch64 | arm64)
      ARM64_DENO="$(command -v deno)"
      ARM64_EMULATED=0
      return 0
      ;;
    x86_64) ;;
    *)
      echo "$say only x86-64 machines can emulate aarch64 here, not $(uname -m)" >&2
      return 1
      ;;
  esac
  ARM64_EMULATED=1

  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "$say needs root (or sudo) to install qemu and register binfmt_misc" >&2
      return 1
    fi
  fi
  local updated=0
  apt_install() {
    if [ "$updated" = 0 ]; then
      $sudo apt-get update -qq >/dev/null
      updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" \
      >/dev/null
  }

  # 1. The emulator.
  if ! [ -x /usr/bin/qemu-aarch64-static ]; then
    echo "$say installing qemu-user-static" >&2
    apt_install qemu-user-static
  fi

  # 2. binfmt_misc, so the kernel hands every aarch64 executable (children too) to qemu.
  local binfmt=/proc/sys/fs/binfmt_misc
  if ! [ -e "$binfmt/register" ]; then
    $sudo mount -t binfmt_misc binfmt_misc "$binfmt"
  fi
  if ! [ -e "$binfmt/qemu-aarch64" ]; then
    # The Debian rule (flags OPF: F opens qemu now, so it works in any mount namespace).
    $sudo sh -c "cat /usr/lib/binfmt.d/qemu-aarch64.conf > $binfmt/register"
  fi
  if [ "$(head -n 1 "$binfmt/qemu-aarch64")" != enabled ]; then
    $sudo sh -c "echo 1 > $binfmt/qemu-aarch64"
  fi

  # 3. The aarch64 C library: multiarch first, the cross package when apt has no arm64.
  if ! [ -e /lib/ld-linux-aarch64.so.1 ] && ! [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then
    echo "$say installing the aarch64 C library" >&2
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      $sudo dpkg --add-architecture arm64
      updated=0
    fi
    if ! apt_install libc6:arm64 libgcc-s1:arm64; then
      echo "$say no arm64 packages from apt; using libc6-arm64-cross" >&2
      $sudo dpkg --remove-architecture arm64 || true
      updated=0
      apt_install libc6-arm64-cross
    fi
  fi
  if ! [ -e /lib/ld-linux-aarch64.so.1 ]; then
    export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
  fi

  # 4. Deno for aarch64, from npm.
  local cache="${PETIT_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/petit/arm64}/deno-$version"
  ARM64_DENO="$cache/deno"
  if ! [ -x "$ARM64_DENO" ]; then
    echo "$say fetching @deno/linux-arm64-glibc@$version from npm" >&2
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "@deno/linux-arm64-glibc@$version" >/dev/null &&
      tar xzf deno-linux-arm64-glibc-*.tgz package/deno)
    mkdir -p "$cache"
    mv "$tmp/package/deno" "$ARM64_DENO.part" && mv "$ARM64_DENO.part" "$ARM64_DENO"
    rm -rf "$tmp"
  fi
  if ! "$ARM64_DENO" --version 2>/dev/null | grep -q "aarch64-unknown-linux-gnu"; then
    echo "$say $ARM64_DENO does not run (is binfmt_misc registered?)" >&2
    return 1
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  _petit_arm64_setup
  echo "$ARM64_DENO"
else
  # Sourced from a script that runs with `set -euo pipefail`: a failed step stops it (called
  # plainly, not in `||`, which would switch errexit off inside the function).
  _petit_arm64_setup
  export ARM64_DENO ARM64_EMULATED
fi
