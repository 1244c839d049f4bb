/**
 * Checks for signing secrets. Kept hand-written (no zod) because webhook
 * verification calls them on every request; messages name the field and
 * never include the value.
 */
import { SiglumeValidationError, SiglumeWebhookSignatureError } from '../core/errors.js';
import { startsOrEndsWithQuote } from '../core/quoted.js';

/**
 * Throws unless `value` is a non-empty string. `variable` names where the
 * secret usually comes from, for the message of a missing one (most often
 * `process.env.X!` of an unset variable).
 */
export function assertSecret(value: unknown, field = 'secret', variable?: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SiglumeValidationError(
      field,
      value === undefined || value === null
        ? `Invalid ${field}: is required${variable ? ` (is ${variable} set?)` : ''}`
        : `Invalid ${field}: must be a non-empty string`,
    );
  }
}

/**
 * {@link assertSecret} for a webhook signing secret given to a webhook
 * function: an empty string throws `SiglumeWebhookSignatureError` (code
 * `WEBHOOK_SECRET_EMPTY`), the class 0.4.20 threw, so a route that answers
 * 400 on that class keeps doing so. It is usually `SIGLUME_WEBHOOK_SECRET`
 * set but empty. Other non-strings (an unset variable's `undefined`) stay
 * validation errors.
 */
export function assertSigningSecret(value: unknown, field = 'secret'): asserts value is string {
  if (value === '') {
    throw new SiglumeWebhookSignatureError(
      `Invalid ${field}: the webhook signing secret is empty; set SIGLUME_WEBHOOK_SECRET ` +
        "to this endpoint's signing secret (whsec_...)",
      { code: 'WEBHOOK_SECRET_EMPTY' },
    );
  }
  assertSecret(value, field, 'SIGLUME_WEBHOOK_SECRET');
}

/**
 * Accepts one secret or a non-empty list of secrets (several are valid at
 * once while a merchant rotates its signing secret) and returns them as a list.
 * `check` tests each secret; the webhook functions pass {@link assertSigningSecret}.
 */
export function normalizeSecrets(
  value: unknown,
  field = 'secret',
  check: (value: unknown, field: string) => void = assertSecret,
): readonly string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw new SiglumeValidationError(field, `Invalid ${field}: the list of secrets must not be empty`);
    }
    for (let i = 0; i < value.length; i++) check(value[i], `${field}[${i}]`);
    return value as readonly string[];
  }
  check(value, field);
  return [value as string];
}

/**
 * True when a webhook signing secret holds a space or line break anywhere. Siglume issues none; one from
 * `.env` quoting or a secret file's newline signs differently from Siglume, so every real delivery would fail
 * (and a rotation look healthy while the old secret still matched). The one rule for the order service,
 * `webhook trigger` / `sign` and readiness.
 */
export function signingSecretHasWhitespace(secret: string): boolean {
  return /\s/.test(secret);
}

/**
 * True when a webhook signing secret starts or ends with a quote character (`SIGLUME_WEBHOOK_SECRET="whsec_..."`
 * kept with its quotes): every real delivery would fail to verify. The rule the token check uses too.
 */
export const signingSecretIsQuoted = startsOrEndsWithQuote;
