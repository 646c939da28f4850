// Timer triggers: NCRONTAB schedules (six fields, seconds first; five are accepted too) or a
// TimeSpan ("00:00:10"), `runOnStartup`, %AppSetting% schedules, UTC unless
// WEBSITE_TIME_ZONE names an IANA zone. Runs never overlap: the next occurrence is computed
// after a run ends. `useMonitor` is accepted and ignored: this host keeps no schedule status
// in storage, so occurrences missed while it was down are not caught up (Last is this run's).
import type { Cron } from 'croner';
import type { RegisteredFunction } from '../core-api.js';
import { triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import { resolveSettings } from './expressions.js';

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface Schedule {
  describe: string;
  /** The first occurrence strictly after `from`. */
  next(from: Date): Date | null;
}

/** Parses a timer trigger's schedule; throws with the reason when it is not valid. */
export function parseSchedule(text: string, env: Record<string, string | undefined> = process.env): Schedule {
  const schedule = resolveSettings(text, env).trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(schedule);
  if (span) {
    const ms =
      ((Number(span[1] ?? 0) * 24 + Number(span[2])) * 3600 + Number(span[3]) * 60 + Number(span[4])) * 1000;
    if (ms <= 0) throw new Error(`The TimeSpan schedule '${schedule}' must be positive.`);
    return { describe: `every ${schedule}`, next: (from) => new Date(from.getTime() + ms) };
  }
  const fields = schedule.split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    throw new Error(
      `The schedule '${schedule}' is not an NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week}) or a TimeSpan.`,
    );
  let cron: Cron;
  // Loaded here, on first use: apps without timers do not pay for it.
  const { Cron: CronClass } = require('croner') as typeof import('croner');
  try {
    // NCRONTAB needs both the day of month and the day of week to match (croner's domAndDow).
    cron = new CronClass(schedule, {
      mode: '5-or-6-parts',
      domAndDow: true,
      timezone: env.WEBSITE_TIME_ZONE || 'Etc/UTC',
      paused: true,
    });
  } catch (error) {
    throw new Error(
      `The schedule '${schedule}' is not a valid NCRONTAB expression: ${(error as Error).message}`,
    );
  }
  return { describe: schedule, next: (from) => cron.nextRun(from) };
}

export class TimerTriggers {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #last = new Map<string, Date>();
  #stopped = false;

  constructor(
    private readonly functions: { fn: RegisteredFunction; schedule: Schedule }[],
    private readonly invoker: Invoker,
    private readonly log: HostLog,
  ) {}

  start(): void {
    for (const { fn, schedule } of this.functions) {
      const runOnStartup = triggerBinding(fn)?.options.runOnStartup === true;
      if (runOnStartup) void this.run(fn, schedule, new Date(), true);
      else this.#arm(fn, schedule);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #arm(fn: RegisteredFunction, schedule: Schedule): void {
    if (this.#stopped) return;
    const due = schedule.next(new Date());
    if (!due) return;
    const wait = () => {
      const left = due.getTime() - Date.now();
      if (left > 0) return void this.#timers.set(fn.id, setTimeout(wait, Math.min(left, MAX_TIMEOUT_MS)));
      void this.run(fn, schedule, due, false);
    };
    wait();
  }

  /** One occurrence; the next is armed once it ends, so runs never overlap. */
  async run(fn: RegisteredFunction, schedule: Schedule, due: Date, startup: boolean): Promise<boolean> {
    const trigger = triggerBinding(fn)!;
    const now = new Date();
    const info = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (this.#last.get(fn.id) ?? new Date(0)).toISOString(),
        Next: schedule.next(now)?.toISOString() ?? null,
        LastUpdated: now.toISOString(),
      },
      // Late by more than a second (a busy host), or a start-up run: as the timer extension reports it.
      IsPastDue: !startup && now.getTime() - due.getTime() > 1000,
    };
    this.#last.set(fn.id, now);
    let ok = false;
    try {
      const outcome = await this.invoker.invoke(fn, {
        inputData: [{ name: trigger.name, data: { json: JSON.stringify(info) } }],
        triggerMetadata: {},
      });
      ok = outcome.ok;
    } catch (error) {
      this.log.error(`Timer '${fn.metadata.name}': ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.#arm(fn, schedule);
    }
    return ok;
  }
}
