/**
 * The readiness engine behind `siglume-check readiness`, callable from code.
 * Runtime-neutral: no `node:` imports. Left out on purpose: the Node-only
 * sandbox helpers (`prepareSandboxReadiness` in ./sandbox-mode.ts,
 * `startWebhookReceiver` in ./receiver.ts) and the internal poll helper.
 */
export { runReadiness, DEFAULT_DELIVERY_TIMEOUT_MS } from './runner.js';
export { readinessOptionsFromEnv, READINESS_ENV } from './env.js';
export { READINESS_CHECKS, READINESS_CHECK_NAMES } from './types.js';
export { READINESS_PROBE_SOURCE } from './checks/probe.js';
export { READINESS_PROBE_MODE } from './checks/delivery.js';
export type {
  ReadinessCheckFail,
  ReadinessCheckGroup,
  ReadinessCheckName,
  ReadinessCheckPass,
  ReadinessCheckResult,
  ReadinessCheckSkip,
  ReadinessCheckStatus,
  ReadinessCheckWarn,
  ReadinessMerchantClient,
  ReadinessMode,
  ReadinessOptions,
  ReadinessProgressEvent,
  ReadinessReport,
  ReadinessSubscription,
  ReadinessSummary,
} from './types.js';
