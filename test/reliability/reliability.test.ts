/**
 * The reliability suite: (a) fuzzing of the public parsers and the CLI
 * arguments, (b) the merchant client against the sandbox under injected
 * faults, (c) the Express template + PostgreSQL store under duplicate,
 * out-of-order deliveries and instance kills. One file, so one module holds
 * the tallies; it ends by printing the counts line CI shows:
 *
 *   reliability: N faults injected, M bad inputs tried, 0 lost, 0 duplicated
 *
 * Loopback only, bounded in time. RELIABILITY_SEED changes the random inputs.
 */
import { afterAll, describe, expect } from 'vitest';
import { describeCliFuzz } from './support/cli-fuzz.js';
import { describeClientFaults } from './support/client-faults.js';
import { counts, countsLine } from './support/counters.js';
import { describeParserFuzz } from './support/parser-fuzz.js';
import { describeTemplateDeliveries } from './support/template-deliveries.js';

describe('reliability', () => {
  describeParserFuzz();
  describeCliFuzz();
  describeClientFaults();
  describeTemplateDeliveries();

  afterAll(() => {
    const line = countsLine();
    // Both: vitest shows console output under the test file, and the raw
    // write lands in the CI log even with a reporter that hides console output.
    console.log(line);
    process.stdout.write(`\n${line}\n`);
    expect(counts.lost).toBe(0);
    expect(counts.duplicated).toBe(0);
  });
});
