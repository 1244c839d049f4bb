/**
 * Inputs of the public `request` escape hatch of both clients (CONTRACT-2
 * section 14): the method, the path below the base URL and extra headers.
 */
import * as z from 'zod/mini';
import { lazySchema } from './common.js';

/** An HTTP method `request` sends. */
export type DirectRequestPaymentRequestMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** HTTP methods `request` sends. */
export const RAW_REQUEST_METHODS: readonly DirectRequestPaymentRequestMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The method, in any case; sent upper-cased. */
export const rawRequestMethodSchema = /* @__PURE__ */ lazySchema(() =>
  z.pipe(
    z.string({ error: 'must be a string' }),
    z.transform((m: string, ctx): DirectRequestPaymentRequestMethod => {
      const upper = m.trim().toUpperCase();
      if ((RAW_REQUEST_METHODS as readonly string[]).includes(upper)) return upper as DirectRequestPaymentRequestMethod;
      ctx.issues.push({ code: 'custom', input: m, message: `must be one of ${RAW_REQUEST_METHODS.join(', ')}` });
      return z.NEVER;
    }),
  ),
);

/**
 * The path below the base URL, appended as is: it starts with `/`, its
 * segments are already encoded and it may end in `?query`. No whitespace,
 * control character or fragment: the request would not go where it reads.
 */
export const rawRequestPathSchema = /* @__PURE__ */ lazySchema(() =>
  z.string({ error: 'must be a string' }).check(
    z.refine((p) => p.startsWith('/'), { error: 'must start with "/" (it is appended to base_url as is)' }),
    z.refine((p) => /^[\x21-\x7e]*$/.test(p), { error: 'must be printable ASCII without spaces (encode the segments)' }),
    z.refine((p) => !p.includes('#'), { error: 'must not contain a fragment ("#")' }),
    z.maxLength(8192, { error: 'must be at most 8192 characters' }),
  ),
);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Extra headers: a plain object of header name to string value. Names are
 * HTTP tokens; values printable ASCII (tab allowed) without line breaks.
 * Messages never quote a value (it may be a credential).
 */
export const extraHeadersSchema = /* @__PURE__ */ lazySchema(() =>
  z.pipe(
    z.custom<Record<string, unknown>>(
      (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
      { error: 'must be an object of header names to string values' },
    ),
    z.transform((headers: Record<string, unknown>, ctx): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) {
        if (!HEADER_NAME.test(name)) {
          ctx.issues.push({ code: 'custom', input: name, path: [name], message: 'is not a valid header name' });
          return z.NEVER;
        }
        if (typeof value !== 'string' || !/^[\t\x20-\x7e]*$/.test(value)) {
          ctx.issues.push({
            code: 'custom',
            input: '',
            path: [name],
            message: 'must be a string of printable ASCII without line breaks',
          });
          return z.NEVER;
        }
        out[name] = value;
      }
      return out;
    }),
  ),
);

const CREDENTIAL_HEADER = /authorization|token|secret|key|cookie|signature|password/i;

/**
 * The values among `headers` that are credentials, by header name
 * (`Authorization`, `X-Api-Key`, `Cookie`, ...): the whole value and, for
 * `Bearer <x>` / `Basic <x>`, the `<x>` alone. Errors redact them.
 */
export function credentialValues(headers: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isCredential(name, value)) continue;
    out.push(value);
    const scheme = /^\s*\S+\s+(\S.*?)\s*$/.exec(value);
    if (scheme) out.push(scheme[1]!);
  }
  return out;
}

/**
 * The values of credential-named parameters (`api_key`, `token`, ...) in a
 * path's query string, decoded and as written, so errors redact them even
 * when the server echoes the URL.
 */
export function credentialQueryValues(path: string): string[] {
  const at = path.indexOf('?');
  if (at === -1) return [];
  const out: string[] = [];
  for (const part of path.slice(at + 1).split('&')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const raw = part.slice(eq + 1);
    let name = part.slice(0, eq);
    let value = raw;
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
      value = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      // not valid percent-encoding: redact it as written
    }
    if (isCredential(name, value)) out.push(...new Set([value, raw]));
  }
  return out;
}

function isCredential(name: string, value: string): boolean {
  return CREDENTIAL_HEADER.test(name) && name.toLowerCase() !== 'idempotency-key' && value.trim() !== '';
}
