/**
 * Webhook events: parsing a delivery's body into an event, and the one-call
 * "verify then parse" a webhook route needs.
 *
 * The shape checks are hand-written rather than zod because they run on
 * every delivery; they check only the envelope (`id`, `type`, `api_version`,
 * `occurred_at`, `data`). Whether the payment inside is one this merchant
 * accepts is the classifier's job, so an unknown `mode` is not rejected here.
 */
import { SiglumeWebhookPayloadError } from '../core/errors.js';
import {
  verifyWebhookSignature,
  type WebhookVerifyOptions,
  type WebhookRawBody,
  type WebhookSignatureVerification,
} from './signature.js';

/** A webhook event envelope. Fields beyond these are kept as sent. */
export interface DirectRequestPaymentWebhookEvent {
  /** Event id, e.g. `evt_...`; use it to de-duplicate redeliveries. */
  id: string;
  /** Event type, e.g. `direct_payment.confirmed`. */
  type: string;
  /** API version the payload follows, e.g. `2026-06-11`. */
  api_version: string;
  /** ISO-8601 time the event happened. */
  occurred_at: string;
  /** Event payload. */
  data: Record<string, unknown>;
  [key: string]: unknown;
}

/** Result of {@link verifyDirectRequestPaymentWebhook}. */
export interface DirectRequestPaymentVerifiedWebhook {
  event: DirectRequestPaymentWebhookEvent;
  verification: WebhookSignatureVerification;
}

// Shared: constructing a TextDecoder per delivery is measurable on the hot path.
// `fatal` turns invalid UTF-8 into an error instead of silently replacing bytes.
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

const REQUIRED_STRINGS = ['id', 'type', 'api_version', 'occurred_at'] as const;

function invalidEvent(message: string): SiglumeWebhookPayloadError {
  return new SiglumeWebhookPayloadError(`Invalid webhook event: ${message}`, { code: 'WEBHOOK_EVENT_INVALID' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function decodeJson(payload: string | Uint8Array | ArrayBuffer): unknown {
  let text: string;
  if (typeof payload === 'string') {
    text = payload;
  } else {
    try {
      text = decoder.decode(payload);
    } catch (cause) {
      throw new SiglumeWebhookPayloadError('The webhook body is not valid UTF-8', {
        code: 'WEBHOOK_PAYLOAD_INVALID_JSON',
        cause,
      });
    }
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SiglumeWebhookPayloadError('The webhook body is not valid JSON', {
      code: 'WEBHOOK_PAYLOAD_INVALID_JSON',
      cause,
    });
  }
}

function isBytes(value: unknown): value is Uint8Array | ArrayBuffer {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return true;
  const tag = Object.prototype.toString.call(value);
  return tag === '[object Uint8Array]' || tag === '[object ArrayBuffer]';
}

/**
 * Parses and checks a webhook event. This does NOT verify the signature: use
 * {@link verifyDirectRequestPaymentWebhook} on untrusted input.
 *
 * Returns a new object, never the one passed in (as 0.4.20 did): `id`,
 * `type`, `api_version` and `occurred_at` trimmed, `data` a shallow copy,
 * other fields as sent.
 *
 * @param payload - The raw body (string, Buffer/Uint8Array, ArrayBuffer) or an already-parsed
 *   object. Typed `unknown`, as in 0.4.20, so a framework's untyped body can be passed as it is;
 *   anything else throws.
 * @throws {SiglumeWebhookPayloadError} `WEBHOOK_PAYLOAD_INVALID_JSON` for a body that is not
 *   UTF-8 JSON; `WEBHOOK_EVENT_INVALID` (message names the field) when the body is not an
 *   object, `id` / `type` / `api_version` / `occurred_at` is missing, blank or not a string,
 *   or `data` is not an object.
 */
export function parseDirectRequestPaymentWebhookEvent(payload: unknown): DirectRequestPaymentWebhookEvent {
  const value = typeof payload === 'string' || isBytes(payload) ? decodeJson(payload) : payload;
  if (!isObject(value)) throw invalidEvent('the body must be a JSON object');
  // Spread defines own properties, so a "__proto__" key in the JSON stays data.
  const event: Record<string, unknown> = { ...value };
  for (const field of REQUIRED_STRINGS) {
    const v = value[field];
    const text = typeof v === 'string' ? v.trim() : '';
    if (text === '') {
      throw invalidEvent(`"${field}" ${v === undefined ? 'is missing' : typeof v === 'string' ? 'is blank' : 'must be a non-empty string'}`);
    }
    event[field] = text;
  }
  if (!isObject(value.data)) {
    throw invalidEvent(`"data" ${value.data === undefined ? 'is missing' : 'must be an object'}`);
  }
  event.data = { ...value.data };
  return event as DirectRequestPaymentWebhookEvent;
}

/**
 * Verifies a delivery's signature, then parses its event. This is the call a
 * webhook route makes; when it throws, answer `webhookErrorStatus(error)`
 * (400, or 5xx when Siglume should deliver the event again).
 *
 * @param secret - The endpoint's signing secret (`whsec_...`), or several while rotating.
 * @param rawBody - The body exactly as received (not a parsed object).
 * @param header - The `Siglume-Signature` header value.
 * @throws {SiglumeWebhookSignatureError} when the signature does not verify, or the secret is empty
 *   (`WEBHOOK_SECRET_EMPTY`).
 * @throws {SiglumeWebhookPayloadError} when the body is not raw or not a valid event.
 * @example
 * app.post('/webhooks/siglume', express.raw({ type: 'application/json' }), async (req, res) => {
 *   let event;
 *   try {
 *     ({ event } = await verifyDirectRequestPaymentWebhook(secret, req.body, req.get('siglume-signature')));
 *   } catch (error) {
 *     return res.status(webhookErrorStatus(error)).end();
 *   }
 *   // handle event.type ...
 *   res.status(200).end();
 * });
 */
export async function verifyDirectRequestPaymentWebhook(
  secret: string | readonly string[],
  rawBody: WebhookRawBody,
  header: string | null | undefined,
  opts?: WebhookVerifyOptions,
): Promise<DirectRequestPaymentVerifiedWebhook> {
  const verification = await verifyWebhookSignature(secret, rawBody, header, opts);
  const event = parseDirectRequestPaymentWebhookEvent(rawBody);
  return { event, verification };
}
