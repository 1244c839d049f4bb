/**
 * Seeded, bounded fuzzing of every sandbox route, for the rule "bad input never becomes a 500" (app.ts):
 * each `/v1` and `/__sandbox` route (read from the route tables) and each hosted page route gets
 * `SANDBOX_FUZZ_ITERATIONS` (default 30) requests built from a seeded generator: valid bodies with one
 * field mutated, junk JSON, non-JSON bodies, wrong content types, junk and repeated query parameters,
 * valid and junk path ids, the right token and wrong ones. Every answer must be < 500, and a JSON 4xx must
 * be an error envelope. A failure prints the seed and the request; rerun with `SANDBOX_FUZZ_SEED=<seed>`.
 *
 * No fuzzed body reaches the network: the sandbox runs in-process with the `drop_webhook_deliveries` fault
 * (re-applied after every fuzzed request to the fault control routes) and no delivery retries, and the
 * webhook sender is replaced by a tripwire that records any attempt (the suite asserts there were none).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDirectRequestPaymentChallenge } from '../../src/challenges/challenge.js';
import { createDirectRequestPaymentRecurringChallenge } from '../../src/challenges/recurring.js';
import { API_ROUTES, buildApp } from '../../src/sandbox/app.js';
import { SandboxCore } from '../../src/sandbox/core.js';
import { mulberry32 } from '../../src/sandbox/faults.js';
import type { Route } from '../../src/sandbox/http.js';
import { SANDBOX_SCENARIOS, createSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { controlRoutes } from '../../src/sandbox/routes/control.js';

// The tripwire: any webhook delivery attempt is recorded and fails without touching the network.
const network = vi.hoisted(() => ({ attempts: [] as string[] }));
vi.mock('../../src/core/sender.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/sender.js')>();
  return {
    ...real,
    defaultSender: async () => async (url: string) => {
      network.attempts.push(url);
      throw new Error('the fuzz suite never sends webhooks');
    },
  };
});

const SEED = Number(process.env.SANDBOX_FUZZ_SEED ?? 20240611) >>> 0;
const ITERATIONS = Number(process.env.SANDBOX_FUZZ_ITERATIONS ?? 30);
const FAULTS = { drop_webhook_deliveries: true } as const;

// ---------------------------------------------------------------------------------------------------------
// The routes.

interface FuzzRoute {
  method: Route['method'];
  path: string;
  auth: Route['auth'];
}
// Every concrete route of the app as mounted (hono's list; the `ALL` entries are middleware and 405 / 404
// catch-alls), with the token each needs from the tables; the hosted page and `/` need none.
const tableCore = await SandboxCore.create({ quiet: true });
const AUTH = new Map<string, Route['auth']>([
  ...API_ROUTES.flatMap((table) => table(tableCore)).map((r) => [`${r.method} /v1${r.path}`, r.auth] as const),
  ...controlRoutes(tableCore).map((r) => [`${r.method} /__sandbox${r.path}`, r.auth] as const),
]);
const ROUTES: FuzzRoute[] = buildApp(tableCore)
  .routes.filter((r) => r.method !== 'ALL')
  .map((r) => ({ method: r.method as Route['method'], path: r.path, auth: AUTH.get(`${r.method} ${r.path}`) ?? 'none' }));
const keyOf = (r: FuzzRoute) => `${r.method} ${r.path}`;

// ---------------------------------------------------------------------------------------------------------
// The sandbox and the records the valid ids and bodies come from.

let sandbox: SandboxHandle;
const errors: string[] = [];
const ids: Record<string, string[]> = {};
const scheduleTokens: string[] = [];
let nonce = 0;

async function send(method: string, path: string, body?: unknown, token?: string | null): Promise<any> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' as const };
  const res = await sandbox.fetch(new Request(`${sandbox.url}${path}`, init));
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}
const merchantToken = () => sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN;
const secretOf = (merchant: string) => sandbox.getMerchant(merchant)?.challenge_secret ?? 'sdrp_cs_unknown_merchant_secret';

async function challenge(amount_minor = 4200): Promise<string> {
  const secret = secretOf('sandbox_shop');
  const input = { secret, merchant: 'sandbox_shop', amount_minor, currency: 'JPY', nonce: `fuzz${++nonce}` };
  return (await createDirectRequestPaymentChallenge(input)).challenge;
}
async function recurring(cadence: 'monthly' | 'daily', amount_minor: number): Promise<string> {
  const secret = secretOf('sandbox_shop');
  const input = { secret, merchant: 'sandbox_shop', amount_minor, currency: 'JPY', cadence, nonce: `fuzzr${++nonce}` };
  return (await createDirectRequestPaymentRecurringChallenge(input)).challenge;
}
function checkoutBody(amount_minor = 4200) {
  const origin = sandbox.env.SHOP_PUBLIC_ORIGIN;
  return {
    merchant: 'sandbox_shop',
    amount_minor,
    currency: 'JPY',
    nonce: `fuzz-${++nonce}`,
    success_url: `${origin}/checkout/ok`,
    cancel_url: `${origin}/checkout/cancel`,
    metadata: { order: 'o-1', tags: ['a'] },
  };
}
async function newSession(amount_minor = 4200): Promise<string> {
  const answer = await send('POST', '/v1/sdrp/direct-payments/checkout-sessions', checkoutBody(amount_minor), merchantToken());
  if (answer.status !== 201) throw new Error(`setup: session ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.data.session_id as string;
}
async function authorizationBody() {
  const body = { mode: 'external_402', merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY', token_symbol: 'JPYC' };
  return { ...body, challenge: await recurring('daily', 1200), cadence: { unit: 'daily' }, max_runs: 3, metadata: { a: 1 } };
}

/** Creates `count` scheduled authorizations; their tokens become the first the scheduler's route picks from. */
async function authorize(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const a = await send('POST', '/v1/account/auto-pay/scheduled-authorizations', await authorizationBody(), sandbox.buyer_token);
    expect(a.status).toBe(201);
    scheduleTokens.unshift(a.body.data.schedule_token);
  }
  scheduleTokens.length = Math.min(scheduleTokens.length, count + 1);
}

/** Ids of what exists now, per path parameter name. */
async function refreshIds(): Promise<void> {
  const answer = await send('GET', '/__sandbox/state');
  if (answer.status !== 200)
    throw new Error(`seed=${SEED}: GET /__sandbox/state answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)} after an earlier route's requests [log: ${errors.at(-1)}]`);
  const state = answer.body.data;
  ids.merchant = ['sandbox_shop', 'fuzz_shop', ...Object.keys(state.merchants)];
  ids.session_id = ids.id = Object.keys(state.checkout_sessions);
  ids.requirement_id = Object.keys(state.requirements);
  ids.authorization_id = Object.keys(state.autopay_authorizations);
  ids.batch_id = Object.keys(state.settlement_batches);
  ids.event_id = Object.keys(state.events);
}

/** Waits until no webhook delivery is queued, so a fuzzed fault setting cannot meet one in flight. */
async function deliveriesIdle(): Promise<void> {
  for (let i = 0; i < 200 && sandbox.listDeliveries({ delivery_status: 'queued' }).length > 0; i++)
    await new Promise((r) => setTimeout(r, 5));
}

beforeAll(async () => {
  // Retries would outlive a request; with none, every delivery is decided (dropped) while its request runs.
  sandbox = await createSandbox({
    delivery_retries: 0,
    onLog: (e) => void (e.kind === 'error' && errors.push(e.message)),
  });
  sandbox.setFaults(FAULTS);
  const setup = await send(
    'POST',
    '/v1/sdrp/direct-payments/merchants',
    { merchant: 'fuzz_shop', checkout_allowed_origins: ['http://127.0.0.1:3000'], display_name: 'Fuzz' },
    merchantToken(),
  );
  expect(setup.status).toBe(201);
  const [paid, micro, cancelled, expired] = [await newSession(), await newSession(100), await newSession(), await newSession()];
  for (const id of [paid, micro]) expect((await send('POST', `/__sandbox/checkout-sessions/${id}/pay`)).status).toBe(200);
  expect((await send('POST', `/pay/${cancelled}/cancel`)).status).toBe(303);
  expect((await send('POST', `/__sandbox/checkout-sessions/${expired}/expire`)).status).toBe(200);
  const requirement = await send('POST', '/v1/sdrp/direct-payments/requirements', { merchant: 'sandbox_shop', amount_minor: 4200, currency: 'JPY', challenge: await challenge() }, sandbox.buyer_token);
  expect(requirement.status).toBe(201);
  await authorize(3);
  const run = await send('POST', '/v1/market/api-store/scheduled-auto-pay/execute', { slot_id: 'slot-0' }, scheduleTokens[0]);
  expect(run.status).toBe(200);
  await refreshIds();
  expect(ids.batch_id!.length).toBeGreaterThan(0);
});

afterAll(async () => {
  await sandbox?.close();
});

// ---------------------------------------------------------------------------------------------------------
// The generator.

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const chance = (rng: Rng, p: number) => rng() < p;

/** Text spliced into the JSON in place of a placeholder string (deep nesting JSON.stringify should not build). */
class Raw {
  constructor(readonly text: string) {}
}
const deepArray = (n: number) => new Raw(`${'['.repeat(n)}1${']'.repeat(n)}`);
const deepObject = (n: number) => new Raw(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`);
const protoObject = (key: string) => new Raw(`{"${key}":{"polluted":true,"toString":1},"x":1}`);

const JUNK_STRINGS = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-0',
  '0x10',
  '4200',
  ' 4200 ',
  'null',
  'undefined',
  'true',
  'x'.repeat(10 * 1024),
  '\ud800',
  '\udfff',
  'a\ud800b',
  'a\r\nb',
  'a\u0000b',
  '\u202e\u200b',
  '😀',
  'ｓａｎｄｂｏｘ',
  '<script>alert(1)</script>',
  '${x}{{x}}',
  '../../etc/passwd',
  '%00',
  '%E0%A4%A',
  'http://',
  'https://evil.example/x',
  'javascript:alert(1)',
  'http://127.0.0.1:3000',
  'http://[::1]:99999/x',
  'SANDBOX_SHOP',
  ' sandbox_shop ',
  'sandbox_shop',
  '__proto__',
  'constructor',
  'JPY',
  'jpy',
  'USDC',
  'direct_payment.confirmed',
  'siglume-external-402-v1:a:b',
  'x:y:z',
];
const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const JUNK_NUMBERS = [0, -1, 1, 1.5, -0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, 2 ** 32, 1e-300, 123456789012, 3600, 120_001];

function junkValue(rng: Rng, depth = 0): unknown {
  const k = Math.floor(rng() * 12);
  if (k <= 2) return pick(rng, JUNK_STRINGS);
  if (k <= 4) return pick(rng, JUNK_NUMBERS);
  if (k === 5) return pick(rng, [true, false, null]);
  if (k === 6) return pick(rng, [[], {}, [null], [1, 'a'], { a: null }]);
  if (k === 7) return pick(rng, [deepArray(50), deepObject(50), deepArray(5000), deepObject(2000)]);
  if (k === 8) return protoObject(pick(rng, ['__proto__', 'constructor', 'prototype']));
  if (depth > 2) return null;
  if (k === 9) return Array.from({ length: Math.floor(rng() * 4) }, () => junkValue(rng, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = Math.floor(rng() * 4); i > 0; i--) obj[pick(rng, ['a', 'unit', 'JPY', 'id', '', 'x'.repeat(300)])] = junkValue(rng, depth + 1);
  return obj;
}

/** JSON text of `value`, with each {@link Raw} spliced in. */
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v) => (v instanceof Raw ? `\u0001raw${raws.push(v.text) - 1}\u0001` : v));
  return (text ?? 'null').replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i) => raws[Number(i)]!);
}

/** Adds `"key": value` to the top-level object of `json` as an own key (`__proto__` included). */
function withKey(json: string, key: string, value: unknown): string {
  const member = `${JSON.stringify(key)}:${toJson(value)}`;
  return json === '{}' ? `{${member}}` : json.replace(/\}$/, `,${member}}`);
}

type Template = () => Record<string, unknown> | Promise<Record<string, unknown>>;

/** A valid body per POST route (every POST route needs one, so a new route is not fuzzed with `{}` only). */
const TEMPLATES: Record<string, Template> = {
  'POST /v1/sdrp/direct-payments/merchants': () => ({
    merchant: 'fuzz_shop',
    billing_plan: 'launch',
    billing_currency: 'JPY',
    display_name: 'Fuzz Shop',
    allowed_currencies: { JPY: 'JPYC' },
    webhook_callback_url: 'http://127.0.0.1:9/hook',
    billing_mandate_cap_minor: 100000,
    max_amount_minor: 50000,
    checkout_allowed_origins: ['http://127.0.0.1:3000'],
    standard_terms_accepted: true,
    terms_version: 'v1',
    sandbox_confirmed: false,
    sandbox_session_id: ids.session_id![0],
    merchant_responsibility_attested: true,
    responsibility_attestation_version: 'v1',
    live_mode_requested: false,
  }),
  'POST /v1/sdrp/direct-payments/merchants/:merchant/challenge-secret/rotate': () => ({}),
  'POST /v1/sdrp/direct-payments/merchants/:merchant/billing-mandate': () => ({ billing_currency: 'JPY', max_amount_minor: 100000 }),
  'POST /v1/sdrp/direct-payments/checkout-sessions': () => checkoutBody(),
  'POST /v1/sandbox/checkout-sessions/:session_id/confirm': () => ({}),
  'POST /v1/sandbox/checkout-sessions/:session_id/redeliver': () => ({}),
  'POST /v1/market/webhooks/subscriptions': () => ({
    callback_url: 'http://127.0.0.1:9/fuzz-hook',
    event_types: ['direct_payment.confirmed'],
    description: 'fuzz',
    metadata: { a: 1 },
  }),
  'POST /v1/market/webhooks/test-deliveries': () => ({ event_type: 'direct_payment.confirmed', data: { a: 1 } }),
  'POST /v1/sdrp/direct-payments/requirements': async () => ({
    mode: 'external_402',
    merchant: 'sandbox_shop',
    amount_minor: 4200,
    currency: 'JPY',
    challenge: await challenge(),
    token_symbol: 'JPYC',
    allowance_amount_minor: 4200,
    metadata: { a: 1 },
  }),
  'POST /v1/sdrp/direct-payments/requirements/:requirement_id/verify': () => ({
    receipt_id: 'rcpt_x',
    chain_receipt_id: 'chain_x',
    await_finality: false,
    await_required_status: 'settled',
    await_timeout_seconds: 1,
    await_poll_seconds: 1,
  }),
  'POST /v1/market/web3/transactions/execute-prepared': () => ({
    transaction_request: { to: '0x0' },
    receipt_kind: 'sdrp_direct_payment',
    reference_type: 'sdrp_direct_payment_requirement',
    reference_id: ids.requirement_id!.at(-1),
    metadata: { a: 1 },
    await_finality: false,
  }),
  'POST /v1/sdrp/direct-payments/subscriptions': async () => ({
    merchant: 'sandbox_shop',
    amount_minor: 980,
    currency: 'JPY',
    challenge: await recurring('monthly', 980),
    cadence: 'monthly',
  }),
  'POST /v1/account/auto-pay/scheduled-authorizations': authorizationBody,
  'POST /v1/market/api-store/scheduled-auto-pay/execute': () => ({
    slot_id: `slot-${++nonce}`,
    scheduled_for: '2030-01-01T00:00:00Z',
    input: { a: 1 },
    metadata: { a: 1 },
  }),
  'POST /__sandbox/scenario': () => ({ scenario: 'ready' }),
  'POST /__sandbox/faults': () => ({ ...FAULTS, latency_ms: 0, error_503_rate: 0, seed: 7 }),
  'POST /__sandbox/reset-faults': () => ({}),
  'POST /__sandbox/checkout-sessions/:session_id/pay': () => ({}),
  'POST /__sandbox/checkout-sessions/:session_id/expire': () => ({}),
  'POST /__sandbox/events/:event_id/redeliver': () => ({}),
  'POST /__sandbox/metered/settle': () => ({ settlement_batch_id: ids.batch_id![0] }),
  'POST /pay/:id/cancel': () => ({}),
  'POST /pay/:id/confirm': () => ({}),
};

const NON_JSON = ['{', '{"a":', 'null', '"str"', '123', 'true', '[]', '[{}]', '\ufeff{}', 'a=1&b=2', '\u0000\u0001\u0002', '{"a":1}{"b":2}', "{'a':1}", '{"a":NaN}', '{"a":1e999}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '\ud800'];
const CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', '*/*', ''];
const QUERY_NAMES = ['limit', 'cursor', 'status', 'plan_type', 'token_symbol', 'listing_id', 'capability_key', 'subscription_id', 'event_id', 'event_type', 'x'];
const QUERY_VALUES = ['0', '-1', '1.5', '1e3', '01', '99999999999999999999', '9007199254740993', 'micro', 'nano', 'JPYC', 'delivered', 'queued', 'direct_payment.confirmed', ...JUNK_STRINGS.slice(0, 30)];
const RAW_QUERIES = ['?%', '?%zz', '?a=%E0%A4%A', '?=&=', '?limit', '?limit=&limit=', '?cursor=%ED%A0%80', '?&&&', `?limit=${'9'.repeat(400)}`];
const JUNK_IDS = ['x', 'cs_missing', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '..', '.', '%2e%2e', '%2F', 'a%2Fb', '%00', '%E0%A4%A', '%ED%A0%80', '%F0%9F%98%80', 'A%20B', 'x'.repeat(5000), '%0D%0A', '%27%3B', '%3Cscript%3E', '%25', '0', '-1', 'NaN', 'null', 'SANDBOX_SHOP', 'sandbox_shop%20'];
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'];

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  label: string;
}

/** The bearer token to send: the right one for the route mostly, else a wrong, foreign or malformed one. */
function authHeader(rng: Rng, auth: Route['auth']): { header?: string; label: string } {
  const right = auth === 'merchant' ? merchantToken() : auth === 'buyer' ? sandbox.buyer_token : auth === 'schedule' ? pick(rng, scheduleTokens) : null;
  if (chance(rng, 0.65)) return right ? { header: `Bearer ${right}`, label: 'right token' } : { label: 'no token' };
  const wrong: Array<[string | undefined, string]> = [
    [undefined, 'no token'],
    [`Bearer ${merchantToken()}`, 'merchant token'],
    [`Bearer ${sandbox.buyer_token}`, 'buyer token'],
    [`Bearer ${pick(rng, scheduleTokens)}`, 'schedule token'],
    ['Bearer wrong_token', 'wrong token'],
    ['Bearer', 'empty bearer'],
    ['Basic dXNlcjpwYXNz', 'basic auth'],
    [`Bearer ${'a'.repeat(5000)}`, 'huge token'],
    [`bearer  ${right ?? 'x'}  `, 'odd spacing'],
    [`Bearer ${right ?? 'x'} extra`, 'two words'],
    ['Bearer \u00e9\u00ff', 'latin-1 token'],
  ];
  const [header, label] = pick(rng, wrong);
  return { header, label };
}

function fillPath(rng: Rng, path: string): string {
  return path.replace(/:([a-z_]+)(\{[^}]*\})?/g, (_m, name: string) => {
    const valid = ids[name] ?? [];
    return valid.length > 0 && chance(rng, 0.6) ? encodeURIComponent(pick(rng, valid)) : pick(rng, JUNK_IDS);
  });
}

function query(rng: Rng, get: boolean): string {
  if (!chance(rng, get ? 0.7 : 0.2)) return '';
  if (chance(rng, 0.15)) return pick(rng, RAW_QUERIES);
  const params = new URLSearchParams();
  for (let i = 1 + Math.floor(rng() * 3); i > 0; i--) {
    const name = pick(rng, QUERY_NAMES);
    params.append(name, pick(rng, QUERY_VALUES));
    if (chance(rng, 0.2)) params.append(name, pick(rng, QUERY_VALUES));
  }
  return `?${params}`;
}

/** A body: the valid one, one field mutated, removed or added (prototype keys too), junk JSON or not JSON at all. */
async function body(rng: Rng, template: Template | undefined): Promise<{ text: string; label: string }> {
  const valid = template ? await template() : {};
  const keys = Object.keys(valid);
  const r = rng();
  if (r < 0.08) return { text: toJson(valid), label: 'valid' };
  if (r < 0.5 && keys.length > 0) {
    const key = pick(rng, keys);
    // Names of Object.prototype members often, as ids and keys: a lookup in a plain object finds them.
    const value = chance(rng, 0.15) ? pick(rng, PROTO_NAMES) : junkValue(rng);
    return { text: toJson({ ...valid, [key]: value }), label: `mutated ${key}` };
  }
  if (r < 0.6) {
    // One level down (metadata.a, event_types[0], cadence.unit ...), often with a deeply nested value.
    const key = keys.find((k) => valid[k] && typeof valid[k] === 'object' && chance(rng, 0.5)) ?? 'metadata';
    const value = chance(rng, 0.3) ? pick(rng, [deepArray(5000), deepObject(5000), deepArray(30000)]) : junkValue(rng);
    const inner = Array.isArray(valid[key]) ? [value] : { ...(valid[key] as object), [pick(rng, ['a', 'unit', 'JPY', 'x'])]: value };
    return { text: toJson({ ...valid, [key]: inner }), label: `mutated inside ${key}` };
  }
  if (r < 0.65 && keys.length > 0) {
    const key = pick(rng, keys);
    const { [key]: _gone, ...rest } = valid;
    return { text: toJson(rest), label: `without ${key}` };
  }
  if (r < 0.72) {
    const key = pick(rng, ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'unknown_field', '']);
    return { text: withKey(toJson(valid), key, junkValue(rng)), label: `extra key ${key}` };
  }
  if (r < 0.8) return { text: toJson(junkValue(rng)), label: 'junk JSON' };
  if (r < 0.88) return { text: pick(rng, NON_JSON), label: 'not JSON' };
  if (r < 0.95) return { text: toJson(pick(rng, [deepArray(50), deepObject(50), deepArray(30000), deepObject(12000)])), label: 'deep body' };
  if (r < 0.97) return { text: toJson({ ...valid, pad: 'x'.repeat(70 * 1024) }), label: 'over 64 KiB' };
  return { text: '', label: 'empty' };
}

async function fuzzRequest(rng: Rng, route: FuzzRoute): Promise<FuzzRequest> {
  const method = chance(rng, 0.08) ? pick(rng, METHODS) : route.method;
  const path = fillPath(rng, route.path) + query(rng, method === 'GET');
  const headers: Record<string, string> = {};
  const auth = authHeader(rng, route.auth);
  if (auth.header) headers.Authorization = auth.header;
  const labels = [auth.label];
  let text: string | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const b = await body(rng, TEMPLATES[keyOf(route)]);
    text = b.text;
    labels.push(b.label);
    headers['Content-Type'] = chance(rng, 0.85) ? 'application/json' : pick(rng, CONTENT_TYPES);
  }
  if (chance(rng, 0.12)) {
    headers['Idempotency-Key'] = pick(rng, [`k-${Math.floor(rng() * 4)}`, 'a b', 'x'.repeat(300), '\u00e9', '']);
    labels.push(`Idempotency-Key ${JSON.stringify(headers['Idempotency-Key'].slice(0, 20))}`);
  }
  if (chance(rng, 0.05)) headers.Origin = pick(rng, ['http://evil.example', 'null', sandbox.url]);
  if (chance(rng, 0.03)) headers['Sec-Fetch-Site'] = 'cross-site';
  return { method, path, headers, body: text, label: labels.join(', ') };
}

// Answers given before any handler ran: the suite checks that each route also gets requests past them.
const GATE_STATUSES = [401, 403, 405, 413, 421];
const GATE_CODES = ['ROUTE_NOT_FOUND', 'INVALID_PATH', 'INVALID_JSON', 'INVALID_IDEMPOTENCY_KEY'];

/** Why the answer breaks the rule, or null; `reached` says whether the route's handler ran. */
async function problem(route: FuzzRoute, req: FuzzRequest, res: Response, seen: { reached: number }): Promise<string | null> {
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json');
  let parsed: any = null;
  if (json && req.method !== 'HEAD') {
    try {
      parsed = JSON.parse(text);
    } catch {
      return `${res.status} with a JSON content type but a body that is not JSON: ${text.slice(0, 200)}`;
    }
  }
  if (!GATE_STATUSES.includes(res.status) && !GATE_CODES.includes(parsed?.error?.code)) seen.reached += 1;
  // By design: the answer of a redelivery that did not reach the shop (here: dropped by the fault).
  const redelivery = route.path.endsWith('/redeliver') && res.status === 502 && parsed?.data?.redelivered === true;
  if (res.status >= 500 && !redelivery) {
    const log = errors.length ? ` [log: ${errors.at(-1)}]` : '';
    return `${res.status} ${parsed?.error?.code ?? ''}: ${parsed?.error?.message ?? text.slice(0, 200)}${log}`;
  }
  if (parsed && res.status >= 400 && res.status < 500) {
    if (typeof parsed.error?.code !== 'string' || typeof parsed.error?.message !== 'string')
      return `${res.status} without an error envelope: ${text.slice(0, 200)}`;
    if (typeof parsed.meta?.request_id !== 'string') return `${res.status} without meta.request_id`;
    // A message quoting a value the request never sent: the handler read something that is not there.
    const sent = `${req.path} ${req.body ?? ''}`;
    const ghost = ['"undefined"', '[object Object]'].find((g) => parsed.error.message.includes(g) && !sent.includes(g.replace(/"/g, '')));
    if (ghost) return `${res.status} ${parsed.error.code} quoting ${ghost}: ${parsed.error.message}`;
  }
  return null;
}

/** A seed per route, so a failing route reproduces on its own sequence of requests. */
function routeSeed(route: FuzzRoute): number {
  let h = SEED ^ 0x9e3779b9;
  for (const c of keyOf(route)) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

const excerpt = (text: string | undefined) =>
  text === undefined ? '(none)' : `${JSON.stringify(text.slice(0, 160))}${text.length > 160 ? `... (${text.length} chars)` : ''}`;

describe(`sandbox fuzz (seed ${SEED}, ${ITERATIONS} requests per route; SANDBOX_FUZZ_SEED to change)`, () => {
  it('covers every route of the app, and has a valid body for every POST route (so none is fuzzed from {} alone)', () => {
    expect(ROUTES.filter((r) => /^\/(v1|__sandbox)\//.test(r.path) && !AUTH.has(keyOf(r)))).toEqual([]);
    expect(ROUTES.map(keyOf)).toEqual(expect.arrayContaining(['GET /pay/:id', 'POST /pay/:id/confirm', 'GET /__sandbox/state']));
    const missing = ROUTES.filter((r) => r.method === 'POST' && !TEMPLATES[keyOf(r)]).map(keyOf);
    expect(missing).toEqual([]);
  });

  it.each(ROUTES.map((r) => [keyOf(r), r] as const))('answers %s below 500 whatever it is sent', async (_key, route) => {
    sandbox.setScenario('ready');
    // Earlier routes revoke and use up authorizations: the scheduler's route gets fresh ones (and one revoked).
    if (route.auth === 'schedule') await authorize(2);
    await refreshIds();
    const rng = mulberry32(routeSeed(route));
    const failures: string[] = [];
    const seen = { reached: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const req = await fuzzRequest(rng, route);
      // Some requests meet the seeded merchant in another scenario (no merchant, checkout disabled ...).
      const scenario = chance(rng, 0.15) ? pick(rng, SANDBOX_SCENARIOS) : null;
      if (scenario) {
        sandbox.setScenario(scenario);
        req.label += `, scenario ${scenario}`;
      }
      const controlsFaults = /^\/__sandbox\/(faults|reset-faults)/.test(req.path);
      if (controlsFaults) await deliveriesIdle();
      const errorsBefore = errors.length;
      let res: Response | null = null;
      let thrown: unknown = null;
      try {
        res = await sandbox.fetch(new Request(`${sandbox.url}${req.path}`, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' }));
      } catch (error) {
        thrown = error;
      }
      // A fuzzed fault setting (latency, drops, delivering webhooks) must not outlive its own request.
      if (controlsFaults) sandbox.setFaults(FAULTS);
      if (scenario) sandbox.setScenario('ready');
      let why = thrown ? `threw ${String(thrown)}` : await problem(route, req, res!, seen);
      // Accepted input must not break a later answer either: the state view renders (clones) every record.
      if (!why && req.method === 'POST' && res!.status < 300) {
        const state = await send('GET', '/__sandbox/state');
        if (state.status !== 200) why = `accepted (${res!.status}), after which GET /__sandbox/state answers ${state.status} [log: ${errors.at(-1)}]`;
      }
      const logged = errors.length > errorsBefore && !why ? `logged an unexpected error: ${errors.at(-1)}` : null;
      if (why || logged) {
        failures.push(`seed=${SEED} ${keyOf(route)} #${i}: ${req.method} ${req.path.slice(0, 200)} (${req.label}; Content-Type ${req.headers['Content-Type'] ?? '(none)'}) body=${excerpt(req.body)} -> ${why ?? logged}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    // The generator must not degenerate into requests that all stop at the auth, routing or body gates.
    expect(seen.reached, `seed=${SEED}: no request reached the handler of ${keyOf(route)}`).toBeGreaterThan(ITERATIONS / 5);
  });

  it('sent nothing over the network (every webhook delivery was dropped by the fault)', () => {
    expect(network.attempts).toEqual([]);
  });
});
