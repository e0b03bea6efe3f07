/**
 * Sleeps until an absolute time (ms since epoch) or until `signal` aborts. The deadline lives in
 * the run's context, so a restored run sleeps only for what remains; a long wait is taken in
 * slices so a clock that jumps is noticed.
 */
export function sleepUntil(until: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('the wait was interrupted'));
    };
    const tick = () => {
      const left = until - Date.now();
      if (left <= 0) {
        signal.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(tick, Math.min(left, 60_000));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    tick();
  });
}
