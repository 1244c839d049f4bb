/**
 * The templates' tests of a failing `currentUser`: a checkout service whose
 * `startCheckout` records the order ids it is asked for and refuses each
 * (404), so a test can assert the service was never reached, and the
 * assertions on the answer the template gives instead.
 */
import { expect } from 'vitest';
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

/** What a failing `currentUser` throws in those tests: a driver error whose message holds a database password. */
export const FAILING_USER_ERROR = 'connect ECONNREFUSED postgres://shop:hunter2@db.internal/sessions';

/**
 * Asserts the template's answer to a failing `currentUser`: a JSON 500 `checkout_failed` without the
 * error's text (no password), and the error itself in the merchant's log (`console.error`, spied).
 */
export async function expectCheckoutFailed(res: Response, logged: ReadonlyArray<ReadonlyArray<unknown>>): Promise<void> {
  expect(res.status).toBe(500);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await res.text();
  expect(JSON.parse(text)).toEqual({ error: 'checkout_failed', message: 'Could not start the checkout; try again' });
  expect(text).not.toContain('hunter2');
  // The merchant still learns why, in their own log.
  expect(logged.some((args) => args.some((a) => a instanceof Error && a.message.includes('ECONNREFUSED')))).toBe(true);
}
