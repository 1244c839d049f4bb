/**
 * The look-back of a reconciliation written as text: a duration before now
 * (`30m`, `72h`, `7d`) or an ISO 8601 time in the past. Shared by the CLI's
 * `--since` and the reconciliation route's `since` query parameter; no
 * dependencies, so the CLI's start-up stays small.
 */

// Nothing to reconcile before the protocol existed; an older bound would only be a
// full-table read, and some databases refuse dates this far out (MySQL DATETIME
// starts at year 1000, PostgreSQL has no year 0).
const EARLIEST = Date.UTC(2020, 0, 1);

/** The time `text` names, or a reason it names none. */
export function parseReconcileSince(text: string, now: Date = new Date()): { ok: true; since: Date } | { ok: false; reason: string } {
  const t = text.trim();
  const m = /^(\d{1,6})([mhd])$/.exec(t);
  if (m) {
    const since = new Date(now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']);
    if (since.getTime() < EARLIEST) return { ok: false, reason: 'must not reach back before 2020-01-01' };
    return { ok: true, since };
  }
  const d = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t) ? new Date(t) : null;
  if (!d || Number.isNaN(d.getTime())) return { ok: false, reason: 'must be a duration (30m, 72h, 7d) or an ISO 8601 time' };
  if (d.getTime() > now.getTime()) return { ok: false, reason: 'must not be in the future' };
  if (d.getTime() < EARLIEST) return { ok: false, reason: 'must not be before 2020-01-01' };
  return { ok: true, since: d };
}
