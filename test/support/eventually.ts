// The one way a test waits: read something until it holds, or fail after a time limit saying
// what was awaited and the last thing read. Tests wait for a positive signal (a status, a
// counter, a log line, a stats field) through this, never for a fixed time; the ESLint rule
// no-fixed-sleep-in-tests keeps bare sleeps out of test/ (this folder excepted).

export interface EventuallyOptions {
  /** How long to keep reading before failing (default 20 s). */
  timeoutMs?: number;
  /** Pause between reads (default 20 ms). */
  everyMs?: number;
}

type Falsy = undefined | null | false;

/**
 * Reads `read()` until `until(value)` holds and returns that value. Without `until`, waits for a
 * value that is not undefined, null or false (a probe answers undefined for "not yet").
 * An error thrown by `read` or `until` fails at once: a broken read is not "not yet".
 */
export async function eventually<T>(
  what: string,
  read: () => T | PromiseLike<T>,
  until: (value: T) => boolean,
  options?: EventuallyOptions,
): Promise<T>;
export async function eventually<T>(
  what: string,
  read: () => T | Falsy | PromiseLike<T | Falsy>,
  options?: EventuallyOptions,
): Promise<T>;
export async function eventually<T>(
  what: string,
  read: () => T | PromiseLike<T>,
  untilOrOptions?: ((value: T) => boolean) | EventuallyOptions,
  maybeOptions: EventuallyOptions = {},
): Promise<T> {
  const until =
    typeof untilOrOptions === 'function'
      ? untilOrOptions
      : (value: T) => value !== undefined && value !== null && value !== false;
  const options = (typeof untilOrOptions === 'function' ? maybeOptions : untilOrOptions) ?? {};
  const timeoutMs = options.timeoutMs ?? 20_000;
  const everyMs = options.everyMs ?? 20;
  const started = Date.now();
  for (let reads = 1; ; reads++) {
    const value = await read();
    if (until(value)) return value;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      throw new Error(
        `${what}: not reached after ${waited} ms (${reads} reads); last value: ${describe(value)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(everyMs, timeoutMs - waited)));
  }
}

function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 2_000 ? `${text.slice(0, 2_000)}… (${text.length} characters)` : text;
}
