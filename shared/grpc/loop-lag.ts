/**
 * How long this thread's event loop has recently been held up (busy, in a GC pause, or not
 * scheduled on a loaded machine). A server reads a call's headers, and so starts the call's
 * deadline clock, that much late; the caller's own deadline then passes that much before the
 * server's, and reaches it as a plain cancel (see {@link deadlineToleranceMs}).
 */

/** Interval of the lag sampler, in ms: a tick arriving later than this measures the lag. */
const SAMPLE_MS = 10;
/** A window of the record: the lag reported is the longest over the current and the last window. */
const WINDOW_MS = 5_000;
/** Least tolerance between the client's and the server's clocks for one call, in ms. */
export const MIN_DEADLINE_TOLERANCE_MS = 5;

let sampler: NodeJS.Timeout | undefined;
let lastTick = 0;
let windowStart = 0;
let windowMax = 0;
let previousMax = 0;

/** Starts sampling (idempotent): an unref()ed 10 ms interval, so it never holds a process open. */
export function watchLoopLag(): void {
  if (sampler) return;
  lastTick = windowStart = performance.now();
  sampler = setInterval(() => {
    const now = performance.now();
    // The whole gap between ticks: it includes the 10 ms period, a margin for the sampling step.
    windowMax = Math.max(windowMax, now - lastTick);
    lastTick = now;
    if (now - windowStart >= WINDOW_MS) {
      previousMax = windowMax;
      windowMax = 0;
      windowStart = now;
    }
  }, SAMPLE_MS);
  sampler.unref();
}

/**
 * The margin, in ms, within which a cancel before the deadline counts as the deadline: the
 * longest loop stall of the last 5–10 s (the one in progress included), at least
 * {@link MIN_DEADLINE_TOLERANCE_MS}. 5 ms until {@link watchLoopLag} has been called.
 */
export function deadlineToleranceMs(): number {
  if (!sampler) return MIN_DEADLINE_TOLERANCE_MS;
  const current = performance.now() - lastTick;
  return Math.max(MIN_DEADLINE_TOLERANCE_MS, windowMax, previousMax, current);
}
