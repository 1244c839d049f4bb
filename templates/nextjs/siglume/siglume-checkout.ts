/**
 * The checkout service behind the three Next.js route handlers
 * (app/payments/checkout/siglume/start/route.ts,
 * app/payments/webhooks/siglume/route.ts and
 * app/payments/siglume/reconcile/route.ts), made once per server process on
 * first use, so `next build` needs no secrets. Edit the marked place: who is
 * signed in.
 */
import { ORDER_STORE_MISCONFIGURED, type OrderCheckoutService } from '@siglume/direct-request-payment/orders';
import { createSiglumeCheckout, type ShopUser } from './siglume-config';

/**
 * EDIT: the signed-in user of a request, from your session (a cookie, your
 * auth library), or null when nobody is. Until you do, every checkout start
 * answers 404: nobody may pay an order they are not shown to own.
 */
export async function currentUser(_request: Request): Promise<ShopUser | null> {
  return null;
}

/**
 * How long a failed start-up check of the store is reused before a request
 * checks again (milliseconds). While the tables are wrong or the database is
 * down, a burst of requests (or a scanner on the webhook route) then runs the
 * check (6 statements when it passes, up to about 60 when it fails) once
 * every 5 s, not once per request.
 */
export const STORE_CHECK_RETRY_MS = 5_000;

let service: OrderCheckoutService<ShopUser | null> | undefined;
// Set once the store's tables passed the start-up check (serverless has no boot: the first request runs it).
let storeChecked = false;
// The check running now, shared by the requests that arrive meanwhile; and the last failure, until it is retried.
let storeCheck: Promise<StoreState> | null = null;
let storeFailure: { state: Exclude<StoreState, 'ok'>; at: number } | null = null;
/** What the check found: `misconfigured` names a mapping or table problem; `unavailable` is any other failure. */
type StoreState = 'ok' | 'misconfigured' | 'unavailable';

/** The service (created on first use; reads the environment then). Throws while a setting is missing or invalid. */
export function siglumeCheckout(): OrderCheckoutService<ShopUser | null> {
  service ??= createSiglumeCheckout(undefined, { currentUser });
  return service;
}

/**
 * Answers a request with the service. While the environment is incomplete
 * (the service cannot be made), every request is answered 500
 * `{"error":"checkout_misconfigured"}` as JSON, and the reason (which
 * variable) goes to the server log; the answer never carries it. The next
 * request tries again, so fixing the environment needs no code change.
 *
 * The first request also checks the store's tables once (the mapping in
 * siglume-store.ts, the payment tables of siglume-payments.<database>.sql):
 * until they pass, every request is answered 503
 * `{"error":"store_misconfigured"}` (a mapped column or table is wrong; the
 * log names the mapping field or table and the fix) or
 * `{"error":"store_unavailable"}` (the database cannot be reached, or the
 * check failed for another reason the log gives) and
 * nothing is written. Requests arriving while the check runs share it; a
 * failed check is reused for STORE_CHECK_RETRY_MS (5 s), then the next
 * request checks again.
 */
export async function withSiglumeCheckout(handle: (checkout: OrderCheckoutService<ShopUser | null>) => Promise<Response>): Promise<Response> {
  let checkout: OrderCheckoutService<ShopUser | null>;
  try {
    checkout = siglumeCheckout();
  } catch (error) {
    console.error('siglume checkout: not configured, fix the environment and retry:', error);
    return Response.json(
      { error: 'checkout_misconfigured', message: 'The payment service is not configured; see the server log' },
      { status: 500, headers: { 'cache-control': 'no-store' } },
    );
  }
  const state = storeChecked ? 'ok' : await checkStoreOnce(checkout);
  if (state !== 'ok') {
    return Response.json(
      state === 'misconfigured'
        ? { error: 'store_misconfigured', message: 'The payment tables do not match the store\'s settings; see the server log' }
        : { error: 'store_unavailable', message: 'The payment database is not available; try again' },
      { status: 503, headers: { 'cache-control': 'no-store' } },
    );
  }
  return handle(checkout);
}

/**
 * The start-up check, run by one request at a time (its error logged once
 * per run). A failure is reused for STORE_CHECK_RETRY_MS before the next
 * request runs the check again.
 */
async function checkStoreOnce(checkout: OrderCheckoutService<ShopUser | null>): Promise<StoreState> {
  // A clock stepped back (age < 0) checks again at once rather than reusing the failure until it catches up.
  const age = storeFailure === null ? -1 : Date.now() - storeFailure.at;
  if (storeFailure !== null && age >= 0 && age < STORE_CHECK_RETRY_MS) return storeFailure.state;
  storeCheck ??= checkout.assertStoreReady().then(
    (): StoreState => {
      storeChecked = true;
      storeFailure = null;
      return 'ok';
    },
    (error: unknown): StoreState => {
      const state = (error as { code?: unknown } | null)?.code === ORDER_STORE_MISCONFIGURED ? 'misconfigured' : 'unavailable';
      const why = state === 'misconfigured' ? 'the store does not match its tables' : 'the store check failed (the database may be unreachable)';
      console.error(`siglume checkout: ${why}, fix it; checked again in ${STORE_CHECK_RETRY_MS / 1000} s:`, error);
      storeFailure = { state, at: Date.now() };
      return state;
    },
  ).finally(() => {
    storeCheck = null;
  });
  return storeCheck;
}
