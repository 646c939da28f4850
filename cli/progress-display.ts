// Shows the job's progress: one self-updating line on a terminal, plain lines otherwise
// (CI logs and pipes must stay readable, so nothing is redrawn there and repeats are dropped).
// Hand-written because it is one line of text; cli-progress/ora would add a dependency
// for a bar we would still have to feed with the same four fields.
import type { JobView } from './job-status.js';

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function describe(view: JobView, elapsedMs: number): string {
  const parts = [`phase: ${view.phase}`];
  if (view.admission?.state === 'waiting' && view.admission.position !== undefined)
    parts.push(
      `waiting for a slot at ${view.provider ?? 'the provider'}: ${ordinal(view.admission.position)} in line`,
    );
  if (view.upstreamStatus) parts.push(`${view.provider ?? 'upstream'}: ${view.upstreamStatus}`);
  if (view.queuePosition !== undefined) parts.push(`queue position: ${view.queuePosition}`);
  if (view.progress !== undefined) parts.push(`progress: ${Math.round(view.progress)}%`);
  parts.push(`elapsed: ${(elapsedMs / 1000).toFixed(0)} s`);
  return parts.join(' | ');
}

export class ProgressDisplay {
  private lastPlain = '';
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(view: JobView, elapsedMs: number): void {
    const line = describe(view, elapsedMs);
    if (this.stream.isTTY) {
      this.stream.cursorTo(0);
      this.stream.clearLine(1);
      this.stream.write(line.slice(0, Math.max(20, (this.stream.columns ?? 80) - 1)));
      this.drawn = true;
      return;
    }
    // Elapsed time changes every tick; only a change in what the job reports is worth a line.
    const withoutTime = line.replace(/ \| elapsed: .*$/, '');
    if (withoutTime !== this.lastPlain) {
      this.stream.write(`${line}\n`);
      this.lastPlain = withoutTime;
    }
  }

  /** Ends the live line so the next message starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
