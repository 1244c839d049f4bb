/**
 * A checkout service's short memory of what Siglume said about its stored
 * sessions. Each start that hands out a stored session asks Siglume about it
 * first (`getCheckoutSession`, with the merchant token), and a signed-in buyer
 * may press "Pay" as often as they like: without this, 300 starts on one
 * pending order were 300 requests against the merchant's rate limit, the one
 * webhook confirmations share (docs/reconciliation.md). The answer for one
 * session is reused for {@link SESSION_LOOKUP_TTL_MS}, and starts that arrive
 * while it is being asked share the request in flight, so a burst on one order
 * makes at most one request per 5 s.
 *
 * Why reusing a 5 s old answer is safe: it only decides whether a stored
 * session is handed out again, never whether an order is paid (the webhook and
 * reconciliation ask Siglume themselves, not through this). A session seen
 * `open` that the buyer cancelled since is handed out once more, as when the
 * look-up fails: the buyer sees Siglume's ended page, and a start after the
 * 5 s makes a new session. A session paid meanwhile is paid once: the payment
 * is confirmed by the webhook with Siglume's API, and a paid order is no longer
 * pending for the next start. A session near its end is replaced only on a
 * fresh answer that it is unpaid: a remembered `open` is asked again.
 */

/** How long one answer about a stored session is reused, ms. */
export const SESSION_LOOKUP_TTL_MS = 5_000;
/** Most sessions remembered per checkout service; the oldest answer is dropped first. */
export const SESSION_LOOKUP_MAX_ENTRIES = 1_000;

interface Lookup {
  at: number;
  status: Promise<string | null>;
  /** Whether the answer has come (a look-up still in flight is shared whatever `keep` says). */
  settled: boolean;
}

/** Remembered answers, by checkout session id, oldest first. Bounded by size and age. */
export class SessionLookups {
  readonly #answers = new Map<string, Lookup>();
  readonly #now: () => number;

  /** @param now - The clock, ms (tests pass their own). */
  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  /**
   * The status Siglume gave for `session_id`: `look`'s answer from the last 5 s, or `look()` now. `look` must not
   * reject: a failed look-up answers null, which the checkout start treats as "not known". With `keep`, a
   * remembered status counts only when `keep` accepts it (one that can no longer change) or it is a failure:
   * replacing a session near its end must not rest on an `open` seen up to 5 s ago, which the buyer may have
   * paid since.
   */
  async status(session_id: string, look: () => Promise<string | null>, keep?: (status: string) => boolean): Promise<string | null> {
    const now = this.#now();
    const known = this.#answers.get(session_id);
    // A clock set back makes `now < at`: asked again rather than trusted until the clock catches up.
    if (known && now - known.at < SESSION_LOOKUP_TTL_MS && now >= known.at) {
      const inFlight = !known.settled;
      const status = await known.status;
      // A look-up still in flight when this call came answers it too (a burst makes one request). A remembered
      // failure is kept: it never replaces a session, and asking again at once would let a buyer's clicks during
      // an outage (or a 429) become one request each.
      if (!keep || inFlight || status === null || keep(status)) return status;
      if (this.#answers.get(session_id) !== known) return this.status(session_id, look, keep);
    }
    this.#answers.delete(session_id);
    dropOld(this.#answers, now);
    const entry: Lookup = { at: now, status: look(), settled: false };
    void entry.status.then(() => (entry.settled = true));
    this.#answers.set(session_id, entry);
    return entry.status;
  }
}

// Insertion order is age order: drop the expired entries at the front, then the oldest over the cap.
function dropOld(entries: Map<string, { at: number }>, now: number): void {
  for (const [id, { at }] of entries) {
    if (now - at < SESSION_LOOKUP_TTL_MS && now >= at && entries.size < SESSION_LOOKUP_MAX_ENTRIES) break;
    entries.delete(id);
  }
}

/**
 * A checkout service's short memory of Siglume refusing to create an order's session (Hosted Checkout not enabled,
 * the merchant's readiness, an amount over its maximum, a 429 after the client's retries), with no earlier attempt
 * lost (`may_have_acted: false`). After a timeout, a 5xx or a 409 for a request still running under the key, Siglume
 * may have made the session, which the next start gets back at once under the attempt's Idempotency-Key: those are
 * not remembered. Without it, each "Pay" while
 * Siglume refuses made a new attempt row, up to three requests against the merchant token's rate limit and a full
 * error report: a buyer (or a script with a buyer's session) pressing in a loop grew the database and the log. The
 * failure is answered again for {@link SESSION_LOOKUP_TTL_MS}, by order id, at most {@link SESSION_LOOKUP_MAX_ENTRIES}
 * orders. Only an order the caller may start is answered from it (the start checks the order first).
 */
export class RecentCheckoutFailures {
  readonly #failures = new Map<string, { at: number; error: unknown }>();
  readonly #now: () => number;

  /** @param now - The clock, ms (tests pass their own). */
  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  /** The error a creation of `order_id`'s session failed with in the last 5 s, as `{ error }`, or null. */
  get(order_id: string): { error: unknown } | null {
    const known = this.#failures.get(order_id);
    const now = this.#now();
    return known && now - known.at < SESSION_LOOKUP_TTL_MS && now >= known.at ? { error: known.error } : null;
  }

  remember(order_id: string, error: unknown): void {
    const now = this.#now();
    this.#failures.delete(order_id);
    dropOld(this.#failures, now);
    this.#failures.set(order_id, { at: now, error });
  }
}
