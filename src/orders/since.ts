/**
 * The look-back of a reconciliation written as text: a duration before now
 * (`30m`, `72h`, `7d`) or an ISO 8601 time in the past; a date or a time
 * without an offset is UTC (the server's zone would read it differently on
 * another machine, and JavaScript reads a bare date as UTC but a bare time as
 * local). Shared by the CLI's
 * `--since` and the reconciliation route's `since` query parameter; no
 * dependencies, so the CLI's start-up stays small.
 */

// Nothing to reconcile before the protocol existed; an older bound would only be a
// full-table read, and some databases refuse dates this far out (MySQL DATETIME
// starts at year 1000, PostgreSQL has no year 0).
const EARLIEST = Date.UTC(2020, 0, 1);

/** Why `since` cannot start a reconciliation window (in the future, or before 2020), or null. */
export function reconcileSinceProblem(since: Date, now: Date = new Date()): string | null {
  if (Number.isNaN(since.getTime())) return 'must be a valid time';
  if (since.getTime() > now.getTime()) return 'must not be in the future';
  if (since.getTime() < EARLIEST) return 'must not be before 2020-01-01';
  return null;
}

/** The time `text` names, or a reason it names none. */
export function parseReconcileSince(text: string, now: Date = new Date()): { ok: true; since: Date } | { ok: false; reason: string } {
  // A query string decodes the `+` of an offset to a space (`...T00:00:00 09:00`): read it back.
  const t = text.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  const m = /^(\d{1,6})([mhd])$/.exec(t);
  let since: Date | null = null;
  if (m) since = new Date(now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']);
  else {
    // [date, time, zone]: a time without a zone is read as UTC, as a bare date is.
    const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ]([\d:.]+)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
    if (iso) since = new Date(iso[2] !== undefined && iso[3] === undefined ? `${iso[1]}T${iso[2]}Z` : t);
  }
  if (!since || Number.isNaN(since.getTime())) return { ok: false, reason: 'must be a duration (30m, 72h, 7d) or an ISO 8601 time' };
  const problem = reconcileSinceProblem(since, now);
  return problem ? { ok: false, reason: problem } : { ok: true, since };
}
