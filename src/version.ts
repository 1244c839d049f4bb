/**
 * The SDK version, sent in the `User-Agent` header. A test keeps it equal to
 * package.json's `version`; bump both together.
 */
export const DIRECT_REQUEST_PAYMENT_SDK_VERSION = '0.6.0';

/**
 * The SDK's id: the default `User-Agent` of both clients, and `metadata.sdk`
 * of the webhook subscription `setupCheckout` creates.
 */
export const DIRECT_REQUEST_PAYMENT_SDK_ID = `@siglume/direct-request-payment/${DIRECT_REQUEST_PAYMENT_SDK_VERSION}`;
