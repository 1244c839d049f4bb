/**
 * When a checkout session may be sent to a buyer again, stated once: the SQL
 * store applies it to the session stored on an attempt, the checkout start to
 * a session Siglume hands back for a request it had already answered.
 */

/**
 * True when a session expiring at `expires_at` expires sooner than
 * `margin_seconds` after `now`: too close to its end to send a buyer to.
 */
export function expiresWithinReuseMargin(expires_at: Date, margin_seconds: number, now: Date = new Date()): boolean {
  return expires_at.getTime() < now.getTime() + margin_seconds * 1000;
}
