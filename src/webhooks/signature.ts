/**
 * Webhook signatures: `Siglume-Signature: t=<unix seconds>,v1=<hex>`, where
 * v1 is HMAC-SHA256 keyed by the endpoint's signing secret (`whsec_...`, as
 * UTF-8) over the bytes `<t>.` followed by the exact raw body.
 *
 * Verification runs on every delivery, so this module stays on a lean path:
 * hand-written header parsing and input checks (no regex-heavy parsing, no
 * zod), one HMAC per secret with a cached key, constant-time comparison.
 */
import { DEFAULT_WEBHOOK_TOLERANCE_SECONDS, WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { hmacSha256Hex, timingSafeEqualString } from '../core/crypto.js';
import { SiglumeValidationError, SiglumeWebhookSignatureError } from '../core/errors.js';
import { rawBodyPart } from '../internal/raw-body.js';
import { assertSigningSecret, normalizeSecrets } from '../internal/secrets.js';

/** The raw request body exactly as received. A Node `Buffer` is a `Uint8Array`. */
export type WebhookRawBody = string | Uint8Array | ArrayBuffer;

/** Options of {@link verifyWebhookSignature}. */
export interface WebhookVerifyOptions {
  /**
   * Largest accepted difference, in seconds, between the header's `t=` and
   * `now`, in either direction (old deliveries and clocks running ahead).
   * Whole seconds: a fraction is dropped, and anything below 1 means 1.
   * @default 300
   */
  tolerance_seconds?: number | undefined;
  /**
   * The verifier's clock: unix seconds or a `Date`, truncated to whole
   * seconds. Handy in tests.
   * @default the current time
   */
  now?: number | Date | undefined;
}

/** What a successful verification found. */
export interface WebhookSignatureVerification {
  /** The header's `t=`, in unix seconds. */
  timestamp: number;
  /** The `v1=` value that matched. */
  signature: string;
}

/**
 * `code` of a {@link SiglumeWebhookSignatureError} thrown here. Answer each
 * with `webhookErrorStatus(error)`: 400 for a missing or malformed header
 * (not a request Siglume sent), 503 for a well-formed signature that does not
 * verify or a stale timestamp (from Siglume, this server's wrong secret or
 * clock: the event must be kept for a retry), 500 for `WEBHOOK_SECRET_EMPTY`
 * (this server's configuration, e.g. `SIGLUME_WEBHOOK_SECRET` set but empty).
 * Alert on the 5xx ones: every delivery fails until they are fixed.
 */
export type WebhookSignatureErrorCode =
  | 'WEBHOOK_SIGNATURE_MISSING'
  | 'WEBHOOK_SIGNATURE_MALFORMED'
  | 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE'
  | 'WEBHOOK_SIGNATURE_MISMATCH'
  | 'WEBHOOK_SECRET_EMPTY';

/** A parsed `Siglume-Signature` header. */
export interface WebhookSignatureHeaderParts {
  /** `t=`, unix seconds. */
  timestamp: number;
  /** `t=` exactly as sent; this text, not a re-formatted number, is what was signed. */
  timestamp_text: string;
  /** Every `v1=` value, in order (a sender rotating its secret sends several). */
  signatures: string[];
}

const HEADER = WEBHOOK_SIGNATURE_HEADER;

function signatureError(code: WebhookSignatureErrorCode, message: string): SiglumeWebhookSignatureError {
  return new SiglumeWebhookSignatureError(message, { code });
}

function malformed(reason: string): SiglumeWebhookSignatureError {
  return signatureError(
    'WEBHOOK_SIGNATURE_MALFORMED',
    `Malformed ${HEADER} header (${reason}); expected "t=<unix seconds>,v1=<hex signature>"`,
  );
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Parses a `Siglume-Signature` header. Unknown keys (e.g. `v0=`) and spaces
 * around entries are ignored; of several `t=`, the last one counts (as in
 * 0.4.20).
 *
 * @throws {SiglumeWebhookSignatureError} `WEBHOOK_SIGNATURE_MISSING` for an empty header,
 *   `WEBHOOK_SIGNATURE_MALFORMED` without a `t=`, when the last `t=` is not unix seconds, or without any `v1=`.
 * @example
 * parseWebhookSignatureHeader('t=1800000000, v1=ab12..., v1=cd34...');
 * // { timestamp: 1800000000, timestamp_text: '1800000000', signatures: ['ab12...', 'cd34...'] }
 */
export function parseWebhookSignatureHeader(header: string | null | undefined): WebhookSignatureHeaderParts {
  if (header === undefined || header === null || header === '') {
    throw signatureError(
      'WEBHOOK_SIGNATURE_MISSING',
      `Missing ${HEADER} header: pass the value of the request's ${HEADER} header (e.g. req.get('siglume-signature'))`,
    );
  }
  if (typeof header !== 'string') throw malformed('the header value must be a string');
  let timestampText: string | undefined;
  const signatures: string[] = [];
  const items = header.split(',');
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const eq = item.indexOf('=');
    if (eq === -1) continue;
    const key = item.slice(0, eq).trim();
    if (key === 't') {
      const value = item.slice(eq + 1).trim();
      // The last t= wins, as in 0.4.20 (CONTRACT-2 section 21.3); the HMAC covers the one used.
      timestampText = value;
    } else if (key === 'v1') {
      const value = item.slice(eq + 1).trim();
      if (value !== '') signatures.push(value);
    }
  }
  if (timestampText === undefined) throw malformed('no t= timestamp');
  if (!isDigits(timestampText)) throw malformed('t= must be unix seconds');
  if (signatures.length === 0) throw malformed('no v1= signature');
  return { timestamp: Number(timestampText), timestamp_text: timestampText, signatures };
}

// Both clocks are compared in whole seconds, as 0.4.20 did: `now` and the
// tolerance are truncated, so no delivery it accepted is refused here.
function nowSeconds(now: number | Date | undefined): number {
  if (now === undefined) return Math.trunc(Date.now() / 1000);
  if (now instanceof Date) {
    const ms = now.getTime();
    if (Number.isNaN(ms)) throw new SiglumeValidationError('now', 'Invalid now: the Date is invalid');
    return Math.trunc(ms / 1000);
  }
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
    throw new SiglumeValidationError('now', 'Invalid now: must be unix seconds (a non-negative number) or a Date');
  }
  // Year 5138 in seconds; anything larger is almost certainly Date.now() milliseconds.
  if (now > 1e11) {
    throw new SiglumeValidationError('now', 'Invalid now: looks like milliseconds; pass unix seconds or a Date');
  }
  return Math.trunc(now);
}

// At least one second: 0.4.20 read 0 (and any fraction below 1) as 1.
function toleranceOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new SiglumeValidationError('tolerance_seconds', 'Invalid tolerance_seconds: must be a non-negative number of seconds');
  }
  return Math.max(1, Math.trunc(value));
}

/**
 * What a signature can be computed over: the raw body, or (for tests and
 * local tools) an event object, signed as `JSON.stringify(body)`.
 */
export type WebhookSignatureBody = WebhookRawBody | Record<string, unknown>;

// An object body is signed as its JSON text; send that exact text.
function signedBody(body: WebhookSignatureBody): WebhookRawBody {
  // ArrayBuffer.isView and the tag check also recognise bytes from another realm.
  const isRaw =
    body === null ||
    typeof body !== 'object' ||
    ArrayBuffer.isView(body) ||
    Object.prototype.toString.call(body) === '[object ArrayBuffer]';
  return isRaw ? (body as WebhookRawBody) : JSON.stringify(body);
}

// A fraction is truncated rather than refused, as 0.4.20 did: code written for
// it signs with `Date.now() / 1000`. The truncated value is both signed and sent.
// Above 1e11 (year 5138, the same line `now` draws) it is `Date.now()` in
// milliseconds: every receiver would refuse that header as out of tolerance.
function timestampOf(value: unknown): number {
  const seconds = typeof value === 'number' && value >= 0 ? Math.trunc(value) : Number.NaN;
  if (!Number.isSafeInteger(seconds)) {
    throw new SiglumeValidationError('timestamp', 'Invalid timestamp: must be a non-negative number of unix seconds');
  }
  if (seconds > 1e11) {
    throw new SiglumeValidationError(
      'timestamp',
      'Invalid timestamp: looks like milliseconds; pass unix seconds, not milliseconds (e.g. Math.floor(Date.now() / 1000))',
    );
  }
  return seconds;
}

/**
 * The v1 signature (lower-case hex) of `body` at `timestamp`. An object body
 * is signed as `JSON.stringify(body)`. A fractional `timestamp` is truncated
 * to whole seconds.
 *
 * @throws {SiglumeWebhookSignatureError} `WEBHOOK_SECRET_EMPTY` for an empty secret.
 * @throws {SiglumeValidationError} for a secret that is not a string, or a negative or non-numeric timestamp,
 *   or one in milliseconds (over 1e11).
 * @example
 * await computeWebhookSignature('whsec_example', rawBody, { timestamp: 1800000000 });
 */
export async function computeWebhookSignature(
  secret: string,
  body: WebhookSignatureBody,
  opts: { timestamp: number },
): Promise<string> {
  assertSigningSecret(secret);
  const part = rawBodyPart(signedBody(body));
  const timestamp = timestampOf(opts?.timestamp);
  return hmacSha256Hex(secret, [`${timestamp}.`, part]);
}

/**
 * A complete `Siglume-Signature` header value, `t=<s>,v1=<hex>`, for tests and
 * local tools. An object body is signed as `JSON.stringify(body)`; send that
 * exact string as the request body.
 *
 * @param opts.timestamp - Unix seconds (a fraction is truncated), not milliseconds; defaults to now.
 * @throws as {@link computeWebhookSignature}.
 * @example
 * const body = JSON.stringify(event);
 * const header = await buildWebhookSignatureHeader('whsec_test', body);
 */
export async function buildWebhookSignatureHeader(
  secret: string,
  body: WebhookSignatureBody,
  opts: { timestamp?: number } = {},
): Promise<string> {
  // One truncation, so t= always carries the seconds that were signed.
  const timestamp = timestampOf(opts.timestamp ?? Date.now() / 1000);
  const signature = await computeWebhookSignature(secret, body, { timestamp });
  return `t=${timestamp},v1=${signature}`;
}

/**
 * The checks of {@link verifyWebhookSignature} that need no body: the
 * options, the header's format, and its timestamp against the tolerance.
 * `verifyDirectRequestPaymentWebhookRequest` runs them before it reads a
 * single body byte.
 *
 * @throws {SiglumeWebhookSignatureError} `WEBHOOK_SIGNATURE_MISSING`, `WEBHOOK_SIGNATURE_MALFORMED`
 *   or `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`.
 * @throws {SiglumeValidationError} for bad options.
 * @internal
 */
export function checkWebhookSignatureHeader(
  header: string | null | undefined,
  opts: WebhookVerifyOptions | undefined,
): WebhookSignatureHeaderParts {
  const tolerance = toleranceOf(opts?.tolerance_seconds);
  const now = nowSeconds(opts?.now);
  const parsed = parseWebhookSignatureHeader(header);
  const skew = now - parsed.timestamp;
  if (skew > tolerance || -skew > tolerance) {
    const direction = skew > 0 ? `${Math.round(skew)} s in the past` : `${Math.round(-skew)} s in the future`;
    throw signatureError(
      'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      `Webhook timestamp t=${parsed.timestamp_text} is ${direction} (tolerance ${tolerance} s): ` +
        "a replayed delivery, or this server's clock is off",
    );
  }
  return parsed;
}

/**
 * Verifies a delivery's `Siglume-Signature` header against the raw body.
 *
 * Passes when any `v1=` in the header matches the HMAC under any of the given
 * secrets (pass a list while rotating secrets) and `t=` is within
 * `tolerance_seconds` of `now`, in either direction.
 *
 * @param secret - The endpoint's signing secret (`whsec_...`), or several.
 * @param rawBody - The body exactly as received: string, Buffer/Uint8Array or ArrayBuffer. Not a parsed object.
 * @param header - The `Siglume-Signature` header value.
 * @throws {SiglumeWebhookPayloadError} `WEBHOOK_RAW_BODY_REQUIRED` when `rawBody` is not raw.
 * @throws {SiglumeWebhookSignatureError} with a {@link WebhookSignatureErrorCode} when verification fails,
 *   `WEBHOOK_SECRET_EMPTY` for an empty secret.
 * @throws {SiglumeValidationError} for a secret that is not a string, or bad options.
 * @example
 * app.post('/webhooks/siglume', express.raw({ type: 'application/json' }), async (req, res) => {
 *   await verifyWebhookSignature(process.env.SIGLUME_WEBHOOK_SECRET!, req.body, req.get('siglume-signature'));
 *   // ...
 * });
 */
export async function verifyWebhookSignature(
  secret: string | readonly string[],
  rawBody: WebhookRawBody,
  header: string | null | undefined,
  opts?: WebhookVerifyOptions,
): Promise<WebhookSignatureVerification> {
  const secrets = normalizeSecrets(secret, 'secret', assertSigningSecret);
  const body = rawBodyPart(rawBody);
  // Checked before the HMAC: a malformed header or a stale or far-future delivery costs no hashing.
  return matchWebhookSignature(secrets, body, checkWebhookSignatureHeader(header, opts));
}

/**
 * The HMAC part of {@link verifyWebhookSignature}, for a header already
 * checked by {@link checkWebhookSignatureHeader} and normalized secrets.
 *
 * @internal
 */
export async function matchWebhookSignature(
  secrets: readonly string[],
  body: ReturnType<typeof rawBodyPart>,
  parsed: WebhookSignatureHeaderParts,
): Promise<WebhookSignatureVerification> {
  const prefix = `${parsed.timestamp_text}.`;
  const candidates = parsed.signatures;
  // Hex in either case, as 0.4.20's comparator took it (the expected signature is lower-case hex); lowered once,
  // outside the loops, and still one constant-time compare each.
  const lowered = candidates.map((c) => c.toLowerCase());
  for (let s = 0; s < secrets.length; s++) {
    const expected = await hmacSha256Hex(secrets[s]!, [prefix, body]);
    for (let i = 0; i < candidates.length; i++) {
      if (timingSafeEqualString(expected, lowered[i]!)) {
        return { timestamp: parsed.timestamp, signature: candidates[i]! };
      }
    }
  }
  throw signatureError(
    'WEBHOOK_SIGNATURE_MISMATCH',
    `No v1 signature in the ${HEADER} header matches the body ` +
      `(${candidates.length} signature(s) checked against ${secrets.length} secret(s)). ` +
      "Verify the exact raw body bytes and use this endpoint's signing secret (whsec_...)." +
      paddedSecretHint(secrets),
  );
}

// The secret is used as given (as in 0.4.20), so a newline from a file or a
// secret mount makes every delivery fail. Only said after a mismatch, and
// without the secret: trimming it here would accept signatures made with
// another key than the one configured.
function paddedSecretHint(secrets: readonly string[]): string {
  const padded = secrets.flatMap((s, i) => (s !== s.trim() ? [secrets.length > 1 ? `secret[${i}]` : 'secret'] : []));
  if (padded.length === 0) return '';
  return (
    ` The signing secret (${padded.join(', ')}) has leading or trailing whitespace, such as a newline ` +
    'from a file or secret mount; trim it where you read it (`.trim()` on the variable it comes from).'
  );
}
