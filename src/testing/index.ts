/**
 * `@siglume/direct-request-payment/testing`: helpers for merchants' own tests.
 * Kept out of the main entry so production bundles never carry test secrets
 * or factories.
 */
export {
  TEST_WEBHOOK_SECRET,
  TEST_WEBHOOK_API_VERSION,
  TEST_UNSUPPORTED_CONFIRMATION_MODE,
  createTestWebhookEvent,
  createStandardSettledTestEvent,
  createMeteredUsageAcceptedTestEvent,
  createMeteredBatchSettledTestEvent,
  createUnknownTestEvent,
} from './factories.js';
export type { TestWebhookEvent, TestWebhookEventKind, TestWebhookEventOptions } from './factories.js';
