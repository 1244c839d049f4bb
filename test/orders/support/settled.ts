/** How a promise settled within a bound: a test that expects an answer never waits for a hang. */
export type Settled<T> = { kind: 'resolved'; value: T; ms: number } | { kind: 'rejected'; error: unknown; ms: number } | { kind: 'hung' };

/** How `work` settled, and after how long; `hung` when it had not after `hung_after_ms` (it is left running). */
export async function settled<T>(work: Promise<T>, hung_after_ms: number): Promise<Settled<T>> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<{ kind: 'hung' }>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hung' }), hung_after_ms);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ kind: 'resolved' as const, value, ms: Date.now() - started }),
        (error: unknown) => ({ kind: 'rejected' as const, error, ms: Date.now() - started }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
