import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/**
 * Checks every request passes before its route runs: where it claims to be going (Host), where a browser
 * says it comes from (Origin), and which key it carries. Pure functions of the request's headers, so the
 * app's hooks stay one line each and the rules are tested here.
 */

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/** The host name of a Host header value (`[::1]:8080` -> `::1`, `localhost:80` -> `localhost`). */
export function hostName(header: string): string {
  const h = header.trim();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") === -1 ? undefined : h.indexOf("]"));
  const colon = h.lastIndexOf(":");
  return colon === -1 || h.indexOf(":") !== colon ? h : h.slice(0, colon);
}

/**
 * On a loopback server, a request whose Host is not a loopback name came through a name that resolves
 * here from somewhere else (DNS rebinding: a web page on evil.example that re-points its name at
 * 127.0.0.1 and then talks to us as "same origin"). Null when the Host is fine.
 */
export function foreignHost(hostHeader: string | undefined, listeningOnLoopback: boolean): string | null {
  if (!listeningOnLoopback) return null;
  if (hostHeader === undefined || hostHeader === "") return "a request without a Host header";
  return isLoopbackHost(hostName(hostHeader)) ? null : `Host ${hostHeader.slice(0, 200)}`;
}

/**
 * A browser names the page that sent a request in Origin. The API answers its own pages (the dashboard,
 * /docs), whose Origin is this server's own scheme://host; any other origin is a cross-site request (a form
 * or fetch on another site aimed at us), refused before it can change anything. Clients that are not
 * browsers send no Origin. Null when the request may go on.
 */
export function foreignOrigin(
  originHeader: string | undefined,
  hostHeader: string | undefined,
  allowedOrigins: ReadonlySet<string>,
): string | null {
  if (originHeader === undefined) return null;
  const origin = originHeader.trim().toLowerCase();
  if (allowedOrigins.has(origin)) return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `Origin ${originHeader.slice(0, 200)}`;
  }
  if ((url.protocol === "http:" || url.protocol === "https:") && hostHeader !== undefined) {
    // Read the Host through the same URL parser, so default ports compare equal (`:80` and none).
    try {
      if (url.host === new URL(`${url.protocol}//${hostHeader.trim()}`).host) return null;
    } catch {
      // an unparsable Host is no match
    }
  }
  return `Origin ${originHeader.slice(0, 200)}`;
}

/** The key of an `Authorization: Bearer <key>` header, or null. */
export function bearerKey(header: string | string[] | undefined): string | null {
  const match = typeof header === "string" ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match ? match[1] : null;
}

/** Constant-time comparison of two secrets of any lengths (compares their SHA-256 digests). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Whether a given key is one of the accepted ones (checked in constant time against each). */
export function keyAccepted(given: string | null, accepted: ReadonlyArray<string>): boolean {
  if (given === null) return false;
  let ok = false;
  for (const key of accepted) ok = sameSecret(given, key) || ok;
  return ok;
}
