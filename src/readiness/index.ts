/**
 * The readiness engine behind `siglume-check readiness`, callable from code.
 * Runtime-neutral: no `node:` imports (the CI layering check enforces it).
 * Starting a local sandbox and a webhook receiver for `--sandbox` is the
 * CLI's business (`src/devtools/sandbox-readiness.ts`); the engine only takes
 * options and, optionally, a client. Left out on purpose: the internal poll
 * helper and the check groups.
 */
export { runReadiness, runVerify, runPreflight, DEFAULT_DELIVERY_TIMEOUT_MS } from './runner.js';
export { readinessOptionsFromEnv, READINESS_ENV } from './env.js';
export { READINESS_CHECKS, READINESS_CHECK_NAMES, PREFLIGHT_CHECKS, PREFLIGHT_CHECK_NAMES } from './types.js';
export { READINESS_PROBE_SOURCE } from './checks/probe.js';
export { READINESS_PROBE_MODE } from './checks/delivery.js';
export type {
  ReadinessCheckFail,
  ReadinessCheckGroup,
  ReadinessCheckName,
  ReadinessCheckPass,
  ReadinessCheckResult,
  ReadinessCheckSkip,
  ReadinessCheckSpec,
  ReadinessCheckStatus,
  ReadinessCommand,
  ReadinessCheckWarn,
  ReadinessMerchantClient,
  ReadinessMode,
  ReadinessOptions,
  ReadinessProgressEvent,
  ReadinessReport,
  ReadinessSummary,
} from './types.js';
