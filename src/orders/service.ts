/**
 * The checkout service: a merchant client, an order store and the shop's
 * settings in; the two routes of a Hosted Checkout shop out, as data
 * (`startCheckout`, `handleWebhook`) and as Fetch API handlers. Framework
 * glue (Express, Fastify, ...) only moves bytes between these and its
 * request / response objects.
 */
import { startOrderCheckout, type OrderCheckoutStartResult } from './checkout.js';
import { OrderStoreMisconfiguredError } from './errors.js';
import { handleCheckoutFetch, handleWebhookFetch } from './fetch.js';
import { resolveOrderCheckoutOptions, type OrderCheckoutServiceOptions } from './options.js';
import {
  handleOrderReconcile,
  reconcileOrders,
  type OrderReconcileContext,
  type OrderReconcileFlight,
  type OrderReconcileOptions,
  type OrderReconcileReport,
  type OrderReconcileResult,
} from './reconcile.js';
import type { OrderStoreProblem } from './store.js';
import { handleOrderWebhook, type OrderWebhookResult } from './webhook.js';

/** Path of the checkout start route. */
export const ORDER_CHECKOUT_START_PATH = '/payments/checkout/siglume/start';
/** Path of the webhook route: register `<shop origin>` + this with Siglume. */
export const ORDER_WEBHOOK_PATH = '/payments/webhooks/siglume';

/**
 * What the start-up check of the store found:
 * - `ok`: the store checked its tables and found nothing wrong;
 * - `problems`: each problem names the mapping field or table to fix;
 * - `not_checked`: the store has no `checkTables` (a store of your own); nothing was probed.
 */
export type OrderStoreCheck =
  | { status: 'ok'; problems: [] }
  | { status: 'problems'; problems: OrderStoreProblem[] }
  | { status: 'not_checked'; problems: [] };

/** What {@link createOrderCheckoutService} returns. Methods are bound: pass them around freely. */
export interface OrderCheckoutService<U = unknown> {
  /**
   * Starts (or resumes) the checkout of `order_id` for `user`. `order_id` is
   * whatever the browser sent: anything but a usable id string is a 400.
   */
  startCheckout(order_id: unknown, user: U): Promise<OrderCheckoutStartResult>;
  /**
   * Processes one webhook delivery: `raw_body` exactly as received (string,
   * Buffer / Uint8Array or ArrayBuffer; a parsed object is refused) and the
   * `Siglume-Signature` header.
   */
  handleWebhook(raw_body: unknown, signature_header: string | null | undefined): Promise<OrderWebhookResult>;
  /**
   * `POST /payments/checkout/siglume/start` as a Fetch handler; the user comes from `currentUser`. Takes
   * `Content-Type: application/json` only (400 `invalid_request` otherwise), so a page on another site cannot
   * start a checkout with a form or a `text/plain` post carrying the buyer's cookies.
   */
  handleCheckoutRequest(request: Request): Promise<Response>;
  /** `POST /payments/webhooks/siglume` as a Fetch handler. */
  handleWebhookRequest(request: Request): Promise<Response>;
  /**
   * Reconciles the shop with Siglume: every unpaid checkout attempt with a
   * session (bounded by `since`, `min_age_seconds`, `limit`) is checked
   * against Siglume's API; a paid session goes through the webhook's decision
   * and exactly-once path. See docs/reconciliation.md.
   *
   * @throws {SiglumeValidationError} for a bad option (naming it).
   */
  reconcile(options?: OrderReconcileOptions): Promise<OrderReconcileReport>;
  /**
   * The scheduled reconciliation route as data: checks
   * `Authorization: Bearer <reconcile_token>`, reads the options from the
   * request's query string (`since`, `min_age_seconds`, `limit`, `dry_run`;
   * anything else is a 400), then runs {@link reconcile}; while an earlier call of this service's route is still
   * running (one that examined no attempt for 30 minutes is taken to be stuck and reported to `onError`), answers 409
   * `reconcile_in_progress` instead (with `retry_after_seconds` and `running_since`). Never throws.
   */
  handleReconcile(authorization_header: string | null | undefined, query?: string): Promise<OrderReconcileResult>;
  /** {@link handleReconcile} as a Fetch handler (any method; JSON answer, no caching; `Retry-After` on the 409). */
  handleReconcileRequest(request: Request): Promise<Response>;
  /**
   * The start-up check of the order store: read-only probes (no row locks,
   * nothing written; a table being altered makes it wait like any read) that
   * the orders table and each mapped column exist and that the package's
   * tables have the columns the store uses (the SQL stores' `checkTables`).
   * Call it once at boot, so a misspelt column or a missing migration stops
   * the server instead of failing the first checkout.
   *
   * @throws the driver's error when the database cannot be reached, or a
   *   probe fails for any reason but a missing table, column or permission.
   */
  checkStore(): Promise<OrderStoreCheck>;
  /**
   * {@link checkStore}, throwing when it finds a problem: one line at boot,
   * `await service.assertStoreReady()`. Read only like it (no row locks,
   * nothing written; a table being altered makes it wait like any read).
   * Resolves to the check (`ok`, or `not_checked` for a store without
   * `checkTables`).
   *
   * @throws {OrderStoreMisconfiguredError} listing every problem and its fix.
   * @throws the driver's error when the database cannot be reached, or a
   *   probe fails for any reason but a missing table, column or permission.
   */
  assertStoreReady(): Promise<OrderStoreCheck>;
}

/**
 * Builds the checkout service. Options are checked now, so a misconfigured
 * shop fails at startup.
 *
 * @throws {SiglumeValidationError} for a bad option (naming it).
 * @throws {OrderAuthorizationRequiredError} without `authorize_order` or `allow_unverified_order_lookup: true`.
 * @example
 * const service = createOrderCheckoutService({
 *   merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: process.env.SIGLUME_MERCHANT_AUTH_TOKEN }),
 *   order_store: new PostgresOrderStore({ pool }),
 *   merchant: 'my_shop',
 *   webhook_secret: process.env.SIGLUME_WEBHOOK_SECRET!,
 *   shop_public_origin: 'https://shop.example',
 *   authorize_order: (order, user: { id: string }) => order.owner_id === user.id,
 * });
 * // Next.js: export const POST = service.handleWebhookRequest;
 */
export function createOrderCheckoutService<U = unknown>(options: OrderCheckoutServiceOptions<U>): OrderCheckoutService<U> {
  const o = resolveOrderCheckoutOptions(options);
  const context: OrderReconcileContext = { client: o.client, store: o.store, policy: o.policy, report: o.report, notifyReview: o.notifyReview };
  // One run of the route at a time in this service (not across processes: each instance has its own).
  const flight: OrderReconcileFlight = { run: null };
  const handleReconcile = (authorization: string | null | undefined, query = '') =>
    handleOrderReconcile(context, flight, o.reconcile_token, authorization, query);
  const checkStore = async (): Promise<OrderStoreCheck> => {
    if (typeof o.store.checkTables !== 'function') return { status: 'not_checked', problems: [] };
    const problems = await o.store.checkTables();
    return problems.length === 0 ? { status: 'ok', problems: [] } : { status: 'problems', problems };
  };
  return {
    checkStore,
    assertStoreReady: async () => {
      const check = await checkStore();
      if (check.status === 'problems') throw new OrderStoreMisconfiguredError(check.problems);
      return check;
    },
    startCheckout: (order_id, user) => startOrderCheckout(o, order_id, user),
    handleWebhook: (raw_body, signature_header) => handleOrderWebhook(o, raw_body, signature_header),
    handleCheckoutRequest: (request) => handleCheckoutFetch(o, request),
    handleWebhookRequest: (request) => handleWebhookFetch(o, request),
    reconcile: (reconcileOptions) => reconcileOrders(context, reconcileOptions),
    handleReconcile,
    handleReconcileRequest: async (request) => {
      const result = await handleReconcile(request.headers.get('authorization'), new URL(request.url).search);
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      if (result.status === 409) headers['retry-after'] = String(result.body.retry_after_seconds);
      return Response.json(result.body, { status: result.status, headers });
    },
  };
}
