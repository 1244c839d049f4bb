/**
 * One `abort` listener per caller signal, however many calls share it. Every
 * attempt and every wait between attempts listens to the caller's signal; with
 * a listener each, eleven concurrent calls on one `AbortSignal` made Node print
 * a MaxListenersExceededWarning. Here they join one set, and the signal's own
 * listener is removed when the last of them leaves.
 */
interface Hub {
  listeners: Set<() => void>;
  fire: () => void;
}

const hubs = /* @__PURE__ */ new WeakMap<AbortSignal, Hub>();

/** Calls `listener` once when `signal` aborts; the returned function stops listening. */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let hub = hubs.get(signal);
  if (!hub) {
    const listeners = new Set<() => void>();
    const fire = () => {
      hubs.delete(signal);
      for (const l of [...listeners]) l();
      listeners.clear();
    };
    hub = { listeners, fire };
    hubs.set(signal, hub);
    signal.addEventListener('abort', fire, { once: true });
  }
  const current = hub;
  current.listeners.add(listener);
  return () => {
    if (!current.listeners.delete(listener) || current.listeners.size > 0 || hubs.get(signal) !== current) return;
    hubs.delete(signal);
    signal.removeEventListener('abort', current.fire);
  };
}
