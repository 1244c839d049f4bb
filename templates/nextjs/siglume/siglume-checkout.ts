/**
 * The checkout service behind the three Next.js route handlers
 * (app/payments/checkout/siglume/start/route.ts,
 * app/payments/webhooks/siglume/route.ts and
 * app/payments/siglume/reconcile/route.ts), made once per server process on
 * first use, so `next build` needs no secrets. Edit the marked place: who is
 * signed in.
 */
import type { OrderCheckoutService } from '@siglume/direct-request-payment/orders';
import { createSiglumeCheckout, type ShopUser } from './siglume-config';

/**
 * EDIT: the signed-in user of a request, from your session (a cookie, your
 * auth library), or null when nobody is. Until you do, every checkout start
 * answers 404: nobody may pay an order they are not shown to own.
 */
export async function currentUser(_request: Request): Promise<ShopUser | null> {
  return null;
}

let service: OrderCheckoutService<ShopUser | null> | undefined;

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
  return handle(checkout);
}
