// The latent guard's progress on stderr while `check` runs (--progress, on by default on a terminal).
import type { ScoreProgress } from '../core/types';

export function describeProgress(progress: ScoreProgress): string {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return `${fmt(progress.scored)}/${fmt(progress.total)} units scored by the latent guard (${fmt(progress.tokens)} tokens)`;
}

/**
 * One progress line on stderr: rewritten in place on a terminal; elsewhere (--progress into a log) a
 * line at most every second, plus each file's last word.
 */
export class ProgressLine {
  private last = 0;
  private shown = false;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly enabled: boolean) {}

  show(line: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 1000) return;
    this.last = now;
    if (this.tty) {
      process.stderr.write(`\r\u001b[2K${line.slice(0, Math.max(20, (process.stderr.columns ?? 120) - 1))}`);
      this.shown = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  clear(): void {
    if (this.tty && this.shown) process.stderr.write('\r\u001b[2K');
    this.shown = false;
  }
}
