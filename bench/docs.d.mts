/** Types of bench/docs.mjs, for the tests that import it. */

/** A bench row as bench/run.mjs stores it. */
export interface BenchRow {
  module?: string;
  figure: string;
  value: number | null;
  unit: string;
  floor: { name: string; value: number; unit: string } | null;
  ratio: number | null;
  target: string | null;
  pass?: boolean | null;
  verdict: 'ok' | 'MISSED' | 'FAILED' | 'info' | 'skipped';
  note?: string;
  skipped?: string;
}

/** bench/results/latest.json. */
export interface BenchReport {
  date: string;
  command?: string;
  machine: {
    node: string;
    platform: string;
    cpus: number;
    cpu_model: string;
    memory_gib: number;
    load_average?: { start: number; end: number; max: number };
  };
  seconds: number;
  quick: boolean;
  rows: BenchRow[];
  errors: Array<{ module: string; error: string }>;
}

export const PAGE: string;
export const RESULTS: string;
export const BEGIN: string;
export const END: string;
export function tableRow(row: BenchRow): string;
export function renderBenchBlock(report: BenchReport): string;
export function renderPerformancePage(page: string, report: BenchReport): string;
export function readReport(path?: string): BenchReport;
export function writePerformancePage(report: BenchReport, page?: string): boolean;
