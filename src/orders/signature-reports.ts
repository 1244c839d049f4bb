/**
 * How often a checkout service tells `onError` about webhook signatures that
 * fail on a well-formed header. The report is there to catch a wrong secret
 * (`WEBHOOK_SIGNATURE_MISMATCH`) or a skewed clock
 * (`WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`), but anyone can send such a header
 * (the current time and a junk `v1`, or any old time): reporting every one let
 * unauthenticated requests write the shop's log, a stack trace each, without
 * limit. Per code, the first failure is reported at once, then at most one a
 * minute, saying how many were not reported since: a real misconfiguration is
 * still heard within a minute, and a flood writes a bounded amount of log.
 * The same holds for a well-formed header over no body at all (`WEBHOOK_RAW_BODY_REQUIRED`).
 */
import { SiglumeWebhookPayloadError, SiglumeWebhookSignatureError } from '../core/errors.js';

/** A failure anyone can cause with a well-formed signature header: reported, but not every time. */
type ReportedFailure = SiglumeWebhookSignatureError | SiglumeWebhookPayloadError;

/** Least time between two reports of the same signature failure code, ms. */
export const SIGNATURE_REPORT_INTERVAL_MS = 60_000;

/** The last report of each code and the failures not reported since. One entry per code: bounded. */
export class SignatureReports {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  readonly #now: () => number;

  /** @param now - The clock, ms (tests pass their own). */
  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  /**
   * The error to report for this failure, or null when its code was reported less than a minute ago (counted).
   * After a quiet stretch the error itself; otherwise one of the same code whose message adds how many were not
   * reported since the last report, with this failure as its `cause`.
   */
  admit<E extends ReportedFailure>(error: E): E | ReportedFailure | null {
    const now = this.#now();
    const last = this.#last.get(error.code);
    // A clock set back (`now < at`) reports rather than staying silent until it catches up.
    if (last && now - last.at < SIGNATURE_REPORT_INTERVAL_MS && now >= last.at) {
      last.suppressed++;
      return null;
    }
    this.#last.set(error.code, { at: now, suppressed: 0 });
    if (!last || last.suppressed === 0) return error;
    const since = new Date(last.at).toISOString();
    const note = `${last.suppressed} more ${error.code} since ${since} were not reported (at most one report a minute)`;
    const Failure = error instanceof SiglumeWebhookPayloadError ? SiglumeWebhookPayloadError : SiglumeWebhookSignatureError;
    return new Failure(`${error.message} [${note}]`, { code: error.code, cause: error });
  }
}
