/**
 * A checkout service for the templates' error-path tests: `startCheckout`
 * records the order ids it is asked for and refuses each (404), so a test
 * can assert that a failing `currentUser` never reached it.
 */
import type { OrderCheckoutService } from '../../../src/orders/index.js';

export function recordingCheckoutService(): { service: OrderCheckoutService<null>; started: unknown[] } {
  const started: unknown[] = [];
  const service = {
    startCheckout: async (id: unknown) => {
      started.push(id);
      return { kind: 'refused', status: 404, body: { error: 'order_not_found', message: 'no' } };
    },
  } as unknown as OrderCheckoutService<null>;
  return { service, started };
}
