/**
 * How the engine is put together. A **check group** is one async function
 *
 *     (input: typed facts, run: CheckRun) => Promise<typed facts | null>
 *
 * that calls `run.check(name, fn)` once per check, in contract order, where
 * `fn` returns a `Checked<T>`: a passing outcome with the fact it found, or a
 * failure. A group hands what the next group needs as its return value (or
 * `null` when a check failed and the run stops there); nothing is shared
 * through mutable state. The runner calls the groups in order and lets the
 * recorder list every check that did not run as skipped.
 *
 * Adding a group: write `checks/<name>.ts` with its check functions and one
 * exported group function, add its check names to `ALL_CHECKS` (types.ts), and
 * call it from `runReadiness` where it belongs in the order.
 */
import type { DirectRequestPaymentRequestOptions } from '../clients/schemas/client-options.js';
import type { ReadinessConfig } from './checks/config.js';
import type { ApiTarget } from './outcome.js';
import type { ReadinessMerchantClient } from './types.js';

/** What every API group reads, besides the facts earlier groups handed on. */
export interface ApiInput {
  /** The inputs, valid and normalized by the config group. */
  config: ReadinessConfig;
  /** API base URL and sandbox flag, for the fixes of failed API calls. */
  target: ApiTarget;
  /** The merchant client, built on first use. */
  client(): Promise<ReadinessMerchantClient>;
  /** Per-call options of every client call (carries the abort signal). */
  request_options: DirectRequestPaymentRequestOptions;
}
