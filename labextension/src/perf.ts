/**
 * Named User Timing measures of the pages' own work (`orch:*`), read by
 * benchmarks/ui_latency.py from the page to split a page's time into its
 * requests, its computations and the browser's drawing. Cheap (one entry per
 * call) and a no-op where the Performance API lacks `measure` (jsdom).
 */

/** Record `orch:<name>` from `start` (a `performance.now()` value) until now. */
export function measureSince(name: string, start: number): void {
  if (typeof performance?.measure !== 'function') {
    return;
  }
  try {
    performance.measure(`orch:${name}`, { start });
  } catch {
    // An old engine without the options form: the measure is only for benchmarks.
  }
}

/** `f()`, its duration recorded as `orch:<name>`. */
export function timed<T>(name: string, f: () => T): T {
  const start = performance.now();
  const value = f();
  measureSince(name, start);
  return value;
}
