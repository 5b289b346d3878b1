/**
 * Stable hashes for draws that must not depend on the order of simulation: seeds of per-session random
 * streams (so a policy that changes one session's outcome leaves every other session's draws alone) and
 * the assistant's text-keyed errors (the same text always fails the same way, as a real model would).
 */

/** murmur3's finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit seed from several integers (world seed, user, day, session, stream tag...). */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) h = fmix32((h ^ fmix32(p >>> 0)) + 0x9e3779b9);
  return h;
}

/** FNV-1a of a string with a salt, finalised: a 32-bit key. */
export function hashString(s: string, salt: number): number {
  let h = (0x811c9dc5 ^ fmix32(salt)) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** hashString as a uniform number in [0, 1). */
export function unitHash(s: string, salt: number): number {
  return hashString(s, salt) / 4294967296;
}
