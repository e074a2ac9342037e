/**
 * Host names and addresses as the API meets them: whether an address to listen on is
 * loopback, and what a `Host` header names. Names are never resolved.
 *
 * Pure functions: no I/O, no permissions.
 *
 * @module
 */

function parseIpv4(h: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (!m) return null;
  const bytes = m.slice(1).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** The 8 groups of an IPv6 address, or null when `input` is not one. */
function parseIpv6(input: string): number[] | null {
  let text = input.replace(/%.*$/, ""); // zone id
  let tail: number[] = [];
  const v4 = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const b = parseIpv4(v4[2]);
    if (!b) return null;
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    // Drop the separator before the IPv4 part, unless it belongs to a "::".
    text = v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const missing = 8 - head.length - rest.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const hex = (g: string) => parseInt(g, 16);
  return [
    ...head.map(hex),
    ...new Array<number>(halves.length === 2 ? missing : 0).fill(0),
    ...rest.map(hex),
    ...tail,
  ];
}

/** `host` lower case, without IPv6 brackets or the final dot of a fully qualified name. */
export function normalizeHostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  return h.endsWith(".") && !h.includes(":") ? h.slice(0, -1) : h;
}

/**
 * Whether `host` only accepts connections from this machine: `localhost`, 127.0.0.0/8,
 * `::1` (and IPv4-mapped loopback). Other names are not resolved, so they count as remote.
 */
export function isLoopbackHost(host: string): boolean {
  const h = normalizeHostName(host);
  if (h === "localhost") return true;
  const v4 = parseIpv4(h);
  if (v4) return v4[0] === 127;
  const v6 = parseIpv6(h);
  if (!v6) return false;
  if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) return true;
  // ::ffff:127.x.y.z
  return v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff && v6[6] >> 8 === 127;
}

/** Whether `host` is an IPv4 or IPv6 address (with or without brackets) rather than a name. */
export function isIpAddress(host: string): boolean {
  const h = normalizeHostName(host);
  return parseIpv4(h) !== null || parseIpv6(h) !== null;
}

/**
 * Whether `name` can be a host name of an `allowed_hosts` list: letters, digits, `-`, `_`
 * and dots, or an address; no scheme, port or path.
 */
export function isHostName(name: string): boolean {
  return /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i.test(name.trim()) || isIpAddress(name);
}

/**
 * The host name of a `Host` header (or of a URL's authority): `name`, `name:port`,
 * `[v6]` or `[v6]:port`, normalized ({@link normalizeHostName}); null when the value is
 * none of those (a path, user info, spaces, a bad port).
 */
export function hostOfAuthority(authority: string): string | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(authority.trim());
  if (!m) return null;
  if (m[2] !== undefined && Number(m[2]) > 65535) return null;
  return normalizeHostName(m[1]);
}
