/**
 * Records one readiness run: runs each check once, times it, reports
 * progress, turns a thrown error into a failure, redacts secrets, and lists
 * every check that did not run as skipped with the reason. Groups call
 * {@link CheckRun.check}; the runner calls {@link CheckRun.skipRest} when a
 * group stops the run.
 */
import { redactSecretValues } from '../core/redact.js';
import { fail, inputFix, skip, type CheckOutcome, type Checked } from './outcome.js';
import {
  ALL_CHECKS,
  type ReadinessCheckGroup,
  type ReadinessCheckName,
  type ReadinessCheckResult,
  type ReadinessCheckSpec,
  type ReadinessProgressEvent,
} from './types.js';

const GROUP_OF = new Map<ReadinessCheckName, ReadinessCheckGroup>(ALL_CHECKS.map((c) => [c.name, c.group]));

/** A check that threw: a failure saying so (a validation error's field names the input to fix). */
function crashed(error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  return fail(
    `The check could not run: ${message}`,
    inputFix(error) ?? 'Run readiness again with --verbose; if it repeats, report it with the output.',
  );
}

/** Options of a {@link CheckRun}. */
export interface CheckRunOptions {
  /** The command's check list, in run order: what `skipRest` fills in and `results` lists. */
  checks: readonly ReadinessCheckSpec[];
  /** Values removed from every result and progress event (token, webhook secret; unset ones are skipped). */
  secrets: readonly (string | null | undefined)[];
  onProgress?: ((event: ReadinessProgressEvent) => void) | undefined;
  /** Aborting it makes the next check (or the running one) reject with its reason. */
  signal?: AbortSignal | undefined;
}

/** The results of one run, filled in as checks run or are skipped. */
export class CheckRun {
  readonly #results = new Map<ReadinessCheckName, ReadinessCheckResult>();
  readonly #options: CheckRunOptions;

  constructor(options: CheckRunOptions) {
    this.#options = options;
  }

  /** Reports a progress event, with secrets removed. */
  progress(event: ReadinessProgressEvent): void {
    this.#options.onProgress?.(redactSecretValues(event, this.#options.secrets));
  }

  /**
   * Runs the check `name` and records its result. A thrown error becomes a
   * failure ("The check could not run"), unless the run was aborted, in which
   * case the abort reason is thrown.
   */
  async check<T>(name: ReadinessCheckName, run: () => Checked<T> | Promise<Checked<T>>): Promise<Checked<T>> {
    const signal = this.#options.signal;
    if (signal?.aborted) throw signal.reason;
    this.progress({ type: 'check_started', name, group: GROUP_OF.get(name)! });
    const started = performance.now();
    let checked: Checked<T>;
    try {
      checked = await run();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      checked = { ok: false, outcome: crashed(error) };
    }
    this.#record(name, checked.outcome, Math.round(performance.now() - started));
    return checked;
  }

  /** Marks every check that has not run yet as skipped, with `reason`. */
  skipRest(reason: string): void {
    this.skip(
      this.#options.checks.map((c) => c.name),
      reason,
    );
  }

  /** Marks each of `names` that has not run yet as skipped, with `reason`. */
  skip(names: readonly ReadinessCheckName[], reason: string): void {
    for (const name of names) {
      if (!this.#results.has(name)) this.#record(name, skip(reason), 0);
    }
  }

  /** Names of the failed checks of `group` (or of any group), in run order. */
  failures(group?: ReadinessCheckGroup): ReadinessCheckName[] {
    return [...this.#results.values()]
      .filter((r) => r.status === 'fail' && (group === undefined || r.group === group))
      .map((r) => r.name);
  }

  /** Every result, in contract order; checks never recorded are left out (call `skipRest` first). */
  results(): ReadinessCheckResult[] {
    return this.#options.checks.flatMap(({ name }) => this.#results.get(name) ?? []);
  }

  #record(name: ReadinessCheckName, outcome: CheckOutcome, duration_ms: number): void {
    // Only the outcome can carry text from outside: the name and group are ours, and a secret that happens to
    // be a substring of one (a very short test token) must not rewrite a stable check name.
    const result = {
      name,
      group: GROUP_OF.get(name)!,
      ...redactSecretValues(outcome, this.#options.secrets),
      duration_ms,
    } as ReadinessCheckResult;
    this.#results.set(name, result);
    this.progress({ type: 'check_finished', result });
  }
}
