/** Identifiers, secrets and fake chain values. Prefixes make ids recognisable in logs (`cs_` session, `evt_` event, `whd_` delivery ...). */
import { randomBytes, randomUUID } from 'node:crypto';

/** A random id such as `cs_3f9a…` (24 hex characters; randomUUID draws from a cached entropy pool). */
export const newId = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 24)}`;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A new merchant challenge secret (shown once, at creation or rotation). */
export const newChallengeSecret = (): string => `sdrp_cs_${hex(24)}`;

/** A new webhook signing secret (`whsec_…`). */
export const newWebhookSigningSecret = (): string => `whsec_${hex(24)}`;

/** A fake 32-byte transaction hash. Nothing is broadcast: the sandbox has no chain. */
export const fakeTxHash = (): string => `0x${hex(32)}`;

/** A fake 20-byte address derived from a label (FNV-1a rounds), stable across restarts. */
export function fakeAddress(label: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 40; round++) {
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ (label.charCodeAt(i) + round), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return `0x${out.slice(0, 40)}`;
}

/** ISO-8601 UTC timestamp of a time in milliseconds. */
export const iso = (ms: number): string => new Date(ms).toISOString();
