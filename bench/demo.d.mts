/** Types of bench/demo.mjs, for the test that imports it. */

/** The first line of the readiness report. */
export declare const REPORT_TITLE: string;

/** A fresh checkout of this working tree (no dist/, no ignored files) with node_modules linked; the caller removes it. */
export declare function freshClone(): string;

/** Lines printed before the readiness report that are not npm's `> script` banner. */
export declare function noiseBefore(stdout: string): number;

/** Runs the measurement and returns its bench row. */
export declare function run(options?: { json?: boolean; runs?: number }): Promise<Array<Record<string, unknown>>>;
