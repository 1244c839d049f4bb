/**
 * The SDK version, sent in the `User-Agent` header. A test keeps it equal to
 * package.json's `version`; bump both together.
 */
export const DIRECT_REQUEST_PAYMENT_SDK_VERSION = '0.6.0';
