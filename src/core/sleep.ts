import { onAbort } from './abort-hub.js';

/**
 * The package's one timer wait. An abort of `signal` ends it at once and
 * rejects with the signal's reason, so nothing waits on (or keeps a process
 * alive for) a timer nobody needs any more.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      stopListening?.();
      resolve();
    }, ms);
    // Shared with every other call on the same signal (see abort-hub).
    const stopListening = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(signal.reason);
        })
      : undefined;
  });
}
