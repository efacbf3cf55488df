/**
 * Which `Host` a request may name: loopback names and addresses, and the names configured. A web page that
 * rebinds its own DNS name to 127.0.0.1 reads relayx same-origin and sends no `Origin`; its `Host` still
 * carries the page's name, which is how such requests are told apart.
 *
 * @module
 */

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * True for `localhost`, an address in 127.0.0.0/8 and `::1` (bracketed or not); the name, without port.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopbackHost("127.0.0.1"), true);
 * assert.equal(isLoopbackHost("[::1]"), true);
 * assert.equal(isLoopbackHost("127.attacker.example"), false);
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase();
  if (name === "localhost" || name === "::1" || name === "[::1]") return true;
  const m = IPV4_LOOPBACK.exec(name);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

// "name:port", "[v6]:port", or either without a port; undefined when it is not a host at all.
function _hostname(host: string): string | undefined {
  const value = host.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    if (end < 0) return undefined;
    const rest = value.slice(end + 1);
    return rest === "" || /^:\d{1,5}$/.test(rest) ? value.slice(0, end + 1) : undefined;
  }
  const m = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(value);
  return m?.[1];
}

/**
 * True when a `Host` header value (with or without port) names loopback or one of `allowed` (lower case,
 * without port; `*` accepts any host).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(isAllowedHost("localhost:8082", []), true);
 * assert.equal(isAllowedHost("evil.example", []), false);
 * assert.equal(isAllowedHost("relay.lan:8082", ["relay.lan"]), true);
 * ```
 */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  const name = _hostname(host);
  if (name === undefined) return false;
  if (isLoopbackHost(name)) return true;
  if (allowed.includes("*") || allowed.includes(name)) return true;
  // An IPv6 address may be configured with or without its brackets.
  return name.startsWith("[") && allowed.includes(name.slice(1, -1));
}
