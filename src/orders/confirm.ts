/**
 * Asking Siglume's API about a checkout session before an order changes. The
 * answer is a fact handed to the decision function; this module decides
 * nothing about the order.
 */
import { SiglumeNotFoundError } from '../core/errors.js';
import type { DirectRequestPaymentMerchantClient } from '../clients/merchant.js';
import type { DirectRequestPaymentRequestOptions } from '../clients/schemas/client-options.js';
import type { OrderPaymentConfirmation } from './decide.js';
import { OrderPaymentConfirmationUnavailableError } from './errors.js';

/**
 * Whether a session status means Siglume will take no payment on it any more: the buyer cancelled it, or it
 * expired. Such a session's attempt is retired, by a checkout start and by reconciliation alike. `failed` is
 * not one: the contract does not say a buyer cannot try again.
 */
export const sessionCannotBePaid = (status: string): boolean => status === 'expired' || status === 'cancelled';

/** The two merchant-client calls the checkout service makes. A `DirectRequestPaymentMerchantClient` fits. */
export type OrderCheckoutClient = Pick<DirectRequestPaymentMerchantClient, 'createCheckoutSession' | 'getCheckoutSession'>;

/**
 * Reads the session. A 404 from Siglume (no such session) is an answer:
 * `session_not_found`. Anything else that is not an answer (no connection,
 * timeout, 5xx, 429, 401, Hosted Checkout reported unavailable) throws
 * {@link OrderPaymentConfirmationUnavailableError}: retrying later may succeed,
 * so the event must not be recorded now. `options` go to the read (reconciliation passes its `signal`, so an
 * interrupted run does not wait out the read's retries); without them the client is called with the id alone.
 */
export async function confirmCheckoutSession(
  client: Pick<OrderCheckoutClient, 'getCheckoutSession'>,
  session_id: string,
  options?: Pick<DirectRequestPaymentRequestOptions, 'signal'>,
): Promise<OrderPaymentConfirmation> {
  try {
    const session = options?.signal ? await client.getCheckoutSession(session_id, { signal: options.signal }) : await client.getCheckoutSession(session_id);
    return { kind: 'session', session };
  } catch (error) {
    if (error instanceof SiglumeNotFoundError) return { kind: 'session_not_found' };
    throw new OrderPaymentConfirmationUnavailableError({ cause: error });
  }
}
