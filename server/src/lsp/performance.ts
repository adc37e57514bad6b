// Node keeps every performance mark and measure until they are cleared. A dependency that marks on
// each call would fill the buffer of a server that runs for days (MaxPerformanceEntryBufferExceededWarning
// after 1,000,001 entries); nothing in the server reads them, so they are cleared on a timer.
import { performance } from 'node:perf_hooks';

export function clearPerformanceEntriesEvery(intervalMs = 60_000): () => void {
  const timer = setInterval(() => {
    performance.clearMarks();
    performance.clearMeasures();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
