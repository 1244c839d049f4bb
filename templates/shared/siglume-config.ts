/**
 * Configuration of the Siglume checkout: the environment in, the checkout
 * service out. Edit the marked place for your app: who may pay an order
 * (`ownsOrder`). Where your orders are is in siglume-store.ts.
 */
import { DirectRequestPaymentMerchantClient, SiglumeValidationError, type FetchLike } from '@siglume/direct-request-payment';
import { createOrderCheckoutService, isStorableId, type OrderCheckoutService, type OrderRecord, type OrderStore } from '@siglume/direct-request-payment/orders';
import { createOrderStore, STORE_ENVIRONMENT, type OrderStoreConnection } from './siglume-store.js';

/** Your signed-in user, as your session provides it. */
export interface ShopUser {
  id: string;
}

/**
 * EDIT: who may pay an order (`authorize_order`) and see its status (siglumeSuccessPage below). Someone else's
 * order is answered like a missing one (404 to a checkout start, "your order page" on the success page).
 */
function ownsOrder(order: OrderRecord, user: ShopUser | null): boolean {
  return user !== null && order.owner_id === user.id;
}

/**
 * The store of each service made here, which siglumeSuccessPage reads through: a store adds an error listener to
 * its pool, so one made per page view would pile them up.
 */
const serviceStores = new WeakMap<OrderCheckoutService<ShopUser | null>, OrderStore>();

/** Settings that come from your code rather than the environment. */
export interface SiglumeCheckoutOptions {
  /** The signed-in user of a Fetch `Request`: used by the service's Fetch handlers (the Next.js routes). */
  currentUser?: (request: Request) => ShopUser | null | Promise<ShopUser | null>;
  /** Tests only: how the merchant client calls Siglume, e.g. `sandbox.fetch` of `createSandbox()` (the sandbox in-process). */
  fetch?: FetchLike;
}

const REQUIRED = ['SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_DIRECT_PAYMENT_MERCHANT', 'SIGLUME_WEBHOOK_SECRET', 'SHOP_PUBLIC_ORIGIN'] as const;

function required(name: (typeof REQUIRED)[number]): string {
  return process.env[name]!;
}

/** The variable each option below is read from. */
const VARIABLE_OF: Readonly<Record<string, string>> = {
  auth_token: 'SIGLUME_MERCHANT_AUTH_TOKEN',
  base_url: 'SIGLUME_API_BASE',
  merchant: 'SIGLUME_DIRECT_PAYMENT_MERCHANT',
  shop_public_origin: 'SHOP_PUBLIC_ORIGIN',
  shop_base_path: 'SHOP_BASE_PATH',
  reconcile_token: 'SIGLUME_RECONCILE_TOKEN',
  webhook_secret: 'SIGLUME_WEBHOOK_SECRET',
  'webhook_secret[0]': 'SIGLUME_WEBHOOK_SECRET',
  'webhook_secret[1]': 'SIGLUME_WEBHOOK_SECRET_PREVIOUS',
};

/** "Invalid shop_public_origin: ..." names the option; you set SHOP_PUBLIC_ORIGIN, so that is the name in the message. */
function namingVariable(error: unknown): unknown {
  const variable = error instanceof SiglumeValidationError ? VARIABLE_OF[error.field] : undefined;
  if (!(error instanceof SiglumeValidationError) || !variable) return error;
  return new SiglumeValidationError(error.field, error.message.replace(`Invalid ${error.field}`, `Invalid ${variable}`), { code: error.code, cause: error });
}

/**
 * Builds the checkout service from the environment. Throws at startup on
 * missing or invalid settings.
 *
 * @param connection - your database pool / connection; made from the environment when omitted (siglume-store.ts).
 */
export function createSiglumeCheckout(connection?: OrderStoreConnection, options: SiglumeCheckoutOptions = {}): OrderCheckoutService<ShopUser | null> {
  // Every missing variable at once, not one per restart: the store's too (DATABASE_URL or SQLITE_PATH) unless you pass the connection.
  const missing = [...REQUIRED, ...(connection ? [] : STORE_ENVIRONMENT)].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    // 0.4.20 took the merchant token from SIGLUME_AUTH_TOKEN too; this shop reads only the merchant's own variable.
    const renamed = missing.includes('SIGLUME_MERCHANT_AUTH_TOKEN') && process.env.SIGLUME_AUTH_TOKEN
      ? '. SIGLUME_AUTH_TOKEN is set but not read here (it is the buyer token): if it holds your merchant token, rename it to SIGLUME_MERCHANT_AUTH_TOKEN'
      : '';
    throw new Error(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (see "Environment" in the SIGLUME-README.md beside siglume-config.ts)${renamed}`);
  }
  // Strict: a "TRUE" or "1" read as false would refuse every Micro / Nano checkout.
  const metered = process.env.SHOP_ALLOW_METERED_PAYMENTS?.trim() ?? '';
  if (!['', 'true', 'false'].includes(metered)) throw new Error('Invalid SHOP_ALLOW_METERED_PAYMENTS: must be true or false (or unset)');
  const apiBase = process.env.SIGLUME_API_BASE; // the sandbox's /v1 in development; unset in production
  const previousSecret = process.env.SIGLUME_WEBHOOK_SECRET_PREVIOUS; // only while rotating
  // One secret per variable: a list in SIGLUME_WEBHOOK_SECRET would fail every delivery's signature.
  for (const name of ['SIGLUME_WEBHOOK_SECRET', 'SIGLUME_WEBHOOK_SECRET_PREVIOUS']) {
    if (process.env[name]?.includes(',')) {
      throw new Error(`Invalid ${name}: must be one secret, not a list; while rotating, put the new one in SIGLUME_WEBHOOK_SECRET and the old one in SIGLUME_WEBHOOK_SECRET_PREVIOUS`);
    }
  }
  const reconcileToken = process.env.SIGLUME_RECONCILE_TOKEN?.trim() || undefined; // enables the scheduled reconcile route (32+ random characters)
  const order_store = createOrderStore(connection);
  try {
    const service = createOrderCheckoutService<ShopUser | null>({
      merchant_client: new DirectRequestPaymentMerchantClient({
        auth_token: required('SIGLUME_MERCHANT_AUTH_TOKEN'),
        ...(apiBase ? { base_url: apiBase } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
      order_store,
      merchant: required('SIGLUME_DIRECT_PAYMENT_MERCHANT'),
      webhook_secret: previousSecret ? [required('SIGLUME_WEBHOOK_SECRET'), previousSecret] : required('SIGLUME_WEBHOOK_SECRET'),
      shop_public_origin: required('SHOP_PUBLIC_ORIGIN'),
      shop_base_path: process.env.SHOP_BASE_PATH?.trim() || undefined, // a shop served under a path (/store); unset at the root
      allow_metered_payments: metered === 'true',
      authorize_order: ownsOrder, // EDIT ownsOrder above
      ...(options.currentUser ? { currentUser: options.currentUser } : {}),
      ...(reconcileToken ? { reconcile_token: reconcileToken } : {}),
      onError: (error, context) => console.error('siglume checkout:', context, error),
      // A payment that could not be applied (a second payment, a re-priced or cancelled order, ...) is answered 204
      // and kept in siglume_payment_reviews: the buyer may be owed a refund, so someone must see this line. Only a
      // `confirmed` review is of a payment Siglume confirmed; the others are what an event claimed (anyone with the
      // merchant token can have Siglume sign a test delivery), so check first.
      onReview: (review, context) =>
        console.warn(
          `siglume checkout: PAYMENT NEEDS REVIEW (${review.confirmed ? 'a refund may be owed' : 'not confirmed by Siglume: check the requirement with Siglume before any refund'}): ` +
            `${review.code} order=${review.order_id ?? context.order_id ?? '(unknown)'} ` +
            `event=${review.event_id} requirement=${review.requirement_id ?? '(none)'} via=${context.operation}: ${review.reason}`,
        ),
    });
    serviceStores.set(service, order_store);
    return service;
  } catch (error) {
    throw namingVariable(error);
  }
}

/**
 * {@link createSiglumeCheckout}, then the start-up check of the store: the
 * orders table and every column mapped in siglume-store.ts, and the payment
 * tables of siglume-payments.<database>.sql. One line at boot:
 * `const checkout = await startSiglumeCheckout();`. A misspelt column or a
 * migration not run stops the server here, with an error naming each
 * mapping field or table and its fix, instead of failing the first checkout
 * or webhook. Read only: no row locks, nothing written; a table being altered
 * makes it wait like any read.
 *
 * @throws what `createSiglumeCheckout` throws; `OrderStoreMisconfiguredError`
 *   (code `ORDER_STORE_MISCONFIGURED`, `problems` lists each); the driver's
 *   error when the database cannot be reached.
 */
export async function startSiglumeCheckout(connection?: OrderStoreConnection, options: SiglumeCheckoutOptions = {}): Promise<OrderCheckoutService<ShopUser | null>> {
  const service = createSiglumeCheckout(connection, options);
  await service.assertStoreReady();
  return service;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * The success page's message (HTML, escaped) for the `order_id` of its query string and the signed-in user, read
 * from your orders table: "paid" once the webhook (or reconciliation) marked the order paid, "being confirmed"
 * while it is pending (the buyer may arrive before the webhook). No, an empty or a repeated `order_id`, an order
 * that does not exist and another owner's order all get the same answer, so the page reveals nothing of them.
 *
 * @param checkout - the service startSiglumeCheckout returned: the page reads the order through its store.
 * @param orderIdParam - the query value as your framework gives it (a string, an array, or undefined).
 */
export async function siglumeSuccessPage(checkout: OrderCheckoutService<ShopUser | null>, orderIdParam: unknown, user: ShopUser | null): Promise<string> {
  const store = serviceStores.get(checkout);
  if (!store) throw new TypeError('siglumeSuccessPage: pass the service that startSiglumeCheckout (or createSiglumeCheckout) returned');
  const unknown = '<p>Thank you! Your order page shows whether your order is paid.</p>';
  if (typeof orderIdParam !== 'string' || !isStorableId(orderIdParam)) return unknown;
  const order = await store.findOrder(orderIdParam);
  if (!order || !ownsOrder(order, user)) return unknown;
  const id = escapeHtml(order.order_id);
  if (order.status === 'paid' || order.status === 'fulfilled_unsettled') return `<p>Thank you! Order ${id} is paid.</p>`;
  if (order.status === 'pending') return `<p>Thank you! Order ${id} is being confirmed; this page shows it paid once Siglume confirms the payment.</p>`;
  return `<p>Order ${id} is not awaiting payment; your order page shows its status.</p>`;
}
