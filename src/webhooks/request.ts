/**
 * Verifying a webhook delivered as a Fetch API `Request` (Next.js route
 * handlers, workers, Hono, Deno, Bun): reads the raw bytes and the
 * `siglume-signature` header itself, so there is no body parser to get wrong.
 *
 * Cheapest checks first, and nothing is buffered that could not verify: the
 * header's presence, format and timestamp are checked before a body byte is
 * read, a `Content-Length` over the cap is refused unread, and reading stops
 * as soon as the body passes the cap.
 */
import { declaredLength, readCappedBytes, type ByteStreamReader } from '../core/bytes.js';
import { DEFAULT_MAX_WEBHOOK_BODY_BYTES, WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { SiglumeValidationError, SiglumeWebhookPayloadError, SiglumeWebhookSignatureError, suggestKey } from '../core/errors.js';
import { assertSigningSecret, normalizeSecrets } from '../internal/secrets.js';
import { parseDirectRequestPaymentWebhookEvent, type DirectRequestPaymentVerifiedWebhook } from './event.js';
import {
  checkWebhookSignatureHeader,
  matchWebhookSignature,
  type WebhookSignatureHeaderParts,
  type WebhookVerifyOptions,
} from './signature.js';

/** Options of {@link verifyDirectRequestPaymentWebhookRequest}. */
export interface WebhookRequestVerifyOptions extends WebhookVerifyOptions {
  /**
   * Largest body read, in bytes. A larger `Content-Length` is refused before
   * reading; a body without one is read only up to this size.
   * @default 1048576 (1 MiB)
   */
  max_body_bytes?: number | undefined;
}

/** The part of a Fetch API `Request` this module reads. */
interface RequestLike {
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
  bodyUsed: boolean;
  body?: { getReader(): unknown; cancel(reason?: unknown): Promise<void> } | null | undefined;
}

function tooLarge(max: number, declared?: number): SiglumeWebhookPayloadError {
  const size = declared === undefined ? 'over' : `${declared} bytes (Content-Length), over`;
  return new SiglumeWebhookPayloadError(
    `The webhook body is ${size} max_body_bytes (${max} bytes); Siglume events are a few KB, so it was not read`,
    { code: 'WEBHOOK_BODY_TOO_LARGE' },
  );
}

function unreadable(req: RequestLike, cause?: unknown): SiglumeWebhookPayloadError {
  return new SiglumeWebhookPayloadError(
    req.bodyUsed
      ? 'The request body was already read; verify the webhook before anything else reads the body (or pass a request.clone())'
      : 'The request body could not be read',
    { code: 'WEBHOOK_BODY_UNREADABLE', cause },
  );
}

/** Tells the sender we will not read the body (frees a stream nobody will drain). */
function release(req: RequestLike): void {
  try {
    req.body?.cancel().catch(() => {});
  } catch {
    // a locked or already-consumed stream: nothing to release
  }
}

const OPTION_KEYS = ['tolerance_seconds', 'now', 'max_body_bytes'] as const;

// Strict, unlike verifyWebhookSignature's options (0.4.20 ignored unknown keys
// there, and code written for it must keep running): this function is new, so
// a typo such as `tolerance` can fail instead of silently meaning 300 s.
function checkOptionKeys(opts: unknown): void {
  if (opts === null || typeof opts !== 'object') return;
  for (const key of Object.keys(opts)) {
    if ((OPTION_KEYS as readonly string[]).includes(key)) continue;
    const hint = suggestKey(key, OPTION_KEYS);
    throw new SiglumeValidationError(
      key,
      `Invalid opts: unknown option "${key}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; ` +
        `the options are ${OPTION_KEYS.join(', ')}`,
    );
  }
}

function maxBodyBytesOf(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_WEBHOOK_BODY_BYTES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new SiglumeValidationError('max_body_bytes', 'Invalid max_body_bytes: must be a positive integer number of bytes');
  }
  return value;
}

async function readCapped(req: RequestLike, max: number): Promise<Uint8Array> {
  const body = req.body;
  if (body === null) return new Uint8Array(0);
  if (body === undefined || typeof body.getReader !== 'function') {
    // A Request-like object without a body stream: read it whole, then apply the cap.
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.length > max) throw tooLarge(max, bytes.length);
    return bytes;
  }
  return readCappedBytes(body.getReader() as ByteStreamReader, max, () => tooLarge(max));
}

/**
 * Verifies a webhook `Request` and returns its event. Consumes the request
 * body.
 *
 * Order of checks: the secret and options (an unknown option is an error); the `Siglume-Signature` header's
 * presence, format and timestamp (no body byte is read before these pass);
 * `Content-Length` against `max_body_bytes` (refused unread); the body, read
 * up to `max_body_bytes`; then the signature and the event.
 *
 * @param request - The incoming Fetch API `Request`, unread.
 * @param secret - The endpoint's signing secret (`whsec_...`), or several while rotating.
 * @throws {SiglumeWebhookSignatureError} `WEBHOOK_SIGNATURE_MISSING` when the request has no
 *   `Siglume-Signature` header, `WEBHOOK_SIGNATURE_MALFORMED`, `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`,
 *   `WEBHOOK_SIGNATURE_MISMATCH`, or `WEBHOOK_SECRET_EMPTY` for an empty secret.
 * @throws {SiglumeWebhookPayloadError} `WEBHOOK_BODY_TOO_LARGE` over `max_body_bytes`,
 *   `WEBHOOK_BODY_UNREADABLE` when the body was already read, or when the body is not a valid event.
 * @example
 * // app/api/webhooks/siglume/route.ts (Next.js, Node or Edge runtime)
 * export async function POST(request: Request) {
 *   try {
 *     const { event } = await verifyDirectRequestPaymentWebhookRequest(request, process.env.SIGLUME_WEBHOOK_SECRET!);
 *     // handle event ...
 *     return new Response(null, { status: 200 });
 *   } catch (error) {
 *     return new Response('invalid webhook', { status: webhookErrorStatus(error) });
 *   }
 * }
 */
export async function verifyDirectRequestPaymentWebhookRequest(
  request: Request,
  secret: string | readonly string[],
  opts?: WebhookRequestVerifyOptions,
): Promise<DirectRequestPaymentVerifiedWebhook> {
  const secrets = normalizeSecrets(secret, 'secret', assertSigningSecret);
  const req = request as unknown as RequestLike | null | undefined;
  if (!req || typeof req.headers?.get !== 'function' || typeof req.arrayBuffer !== 'function') {
    throw new SiglumeValidationError('request', 'Invalid request: must be a Fetch API Request');
  }
  checkOptionKeys(opts);
  const max = maxBodyBytesOf(opts?.max_body_bytes);
  const header = req.headers.get(WEBHOOK_SIGNATURE_HEADER);
  // A request without a signature is not worth buffering.
  if (header === null || header === '') {
    throw new SiglumeWebhookSignatureError(
      'The request has no Siglume-Signature header, so it cannot be verified as a Siglume webhook',
      { code: 'WEBHOOK_SIGNATURE_MISSING' },
    );
  }
  // Nor is one whose header cannot verify whatever the body says.
  let parsed: WebhookSignatureHeaderParts;
  try {
    parsed = checkWebhookSignatureHeader(header, opts);
  } catch (error) {
    if (error instanceof SiglumeWebhookSignatureError) release(req);
    throw error;
  }
  if (req.bodyUsed) throw unreadable(req);
  const length = declaredLength(req.headers.get('content-length'));
  if (length !== null && length > max) {
    release(req);
    throw tooLarge(max, length);
  }
  let body: Uint8Array;
  try {
    body = await readCapped(req, max);
  } catch (cause) {
    if (cause instanceof SiglumeWebhookPayloadError) throw cause;
    throw unreadable(req, cause);
  }
  // The header was checked above (before reading); only the HMAC is left, then the event.
  const verification = await matchWebhookSignature(secrets, body, parsed);
  return { event: parseDirectRequestPaymentWebhookEvent(body), verification };
}
