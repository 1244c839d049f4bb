/**
 * The reliability suite's tallies, shared by its three parts (they run in one
 * test file, so one module instance holds every count). `lost` and
 * `duplicated` are measured, never assumed: each part adds what it found.
 */
export interface ReliabilityCounts {
  /** Faults injected: latency, 503s, 429s, dropped connections, killed app instances. */
  faults: number;
  /** Random or mutated inputs fed to public parsers and the CLI. */
  badInputs: number;
  /** Calls with no outcome within their deadline, and acknowledged events whose effect is missing. */
  lost: number;
  /** Checkout sessions created twice for one request, and events whose effect was applied twice. */
  duplicated: number;
}

export const counts: ReliabilityCounts = { faults: 0, badInputs: 0, lost: 0, duplicated: 0 };

/** The line CI greps for. */
export function countsLine(c: ReliabilityCounts = counts): string {
  return `reliability: ${c.faults} faults injected, ${c.badInputs} bad inputs tried, ${c.lost} lost, ${c.duplicated} duplicated`;
}
