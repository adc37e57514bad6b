// A document's latent run as the user sees its progress: work-done progress for a long file, and a
// log line when a newer version supersedes a run part-way.
import type { ScoreProgress } from '../core/types';

export interface ProgressReporter {
  report(percentage: number, message: string): void;
  done(): void;
}

/** A file with at least this many units to score shows its latent run as work-done progress. */
export const PROGRESS_MIN_UNITS = 50;

export interface ProgressHost {
  log(level: 'info', message: string): void;
  /** Starts work-done progress in the client ($/progress); undefined when the client has none. */
  progress?(title: string): Promise<ProgressReporter | undefined>;
}

/**
 * Progress of one latent run: a long file (PROGRESS_MIN_UNITS units or more) shows as work-done
 * progress; a run a newer version superseded says so in the log when it stops.
 */
export function latentProgress(host: ProgressHost, name: string, version: number, signal: AbortSignal): { update: (progress: ScoreProgress) => void; done: () => void } {
  let reporter: Promise<ProgressReporter | undefined> | undefined;
  let last: ScoreProgress | undefined;
  let finished = false;
  const onAbort = (): void => {
    if (last && last.scored < last.total) {
      host.log('info', `Latent guard: ${name} v${version} cancelled after ${last.scored} of ${last.total} units (superseded: a newer version or new settings run it again).`);
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    update: (progress) => {
      last = progress;
      if (finished) return;
      if (!reporter && progress.total >= PROGRESS_MIN_UNITS && progress.scored < progress.total && host.progress) {
        reporter = host.progress(`Latent Lint: scoring ${name}`);
      }
      void reporter?.then((r) => {
        if (!finished) r?.report(Math.round((progress.scored / progress.total) * 100), `${progress.scored} of ${progress.total} units (${progress.tokens} tokens)`);
      });
    },
    done: () => {
      if (finished) return;
      finished = true;
      signal.removeEventListener('abort', onAbort);
      void reporter?.then((r) => r?.done());
    },
  };
}
