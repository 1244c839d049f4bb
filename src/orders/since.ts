/**
 * The look-back of a reconciliation written as text: a duration before now
 * (`30m`, `72h`, `7d`) or an ISO 8601 time in the past. Shared by the CLI's
 * `--since` and the reconciliation route's `since` query parameter; no
 * dependencies, so the CLI's start-up stays small.
 */

/** The time `text` names, or a reason it names none. */
export function parseReconcileSince(text: string, now: Date = new Date()): { ok: true; since: Date } | { ok: false; reason: string } {
  const t = text.trim();
  const m = /^(\d{1,6})([mhd])$/.exec(t);
  if (m) return { ok: true, since: new Date(now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']) };
  const d = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t) ? new Date(t) : null;
  if (!d || Number.isNaN(d.getTime())) return { ok: false, reason: 'must be a duration (30m, 72h, 7d) or an ISO 8601 time' };
  if (d.getTime() > now.getTime()) return { ok: false, reason: 'must not be in the future' };
  return { ok: true, since: d };
}
