/**
 * Identifiers, secrets and fake chain values. Prefixes make ids recognisable
 * in logs (`cs_` checkout session, `evt_` event, `whd_` delivery ...).
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** A random id such as `cs_3f9a…` (24 hex characters; randomUUID draws from a cached entropy pool). */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

/** A new merchant challenge secret (shown once, at creation or rotation). */
export const newChallengeSecret = (): string => `sdrp_cs_${randomBytes(24).toString('hex')}`;

/** A new webhook signing secret (`whsec_…`). */
export const newWebhookSigningSecret = (): string => `whsec_${randomBytes(24).toString('hex')}`;

/** A fake 32-byte transaction hash. Nothing is broadcast: the sandbox has no chain. */
export const fakeTxHash = (): string => `0x${randomBytes(32).toString('hex')}`;

/** A fake 20-byte address derived from a label (FNV-1a rounds), stable across restarts. */
export function fakeAddress(label: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 40; round++) {
    for (let i = 0; i < label.length; i++) {
      h ^= label.charCodeAt(i) + round;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return `0x${out.slice(0, 40)}`;
}

/** ISO-8601 UTC timestamp of a time in milliseconds. */
export const iso = (ms: number): string => new Date(ms).toISOString();
