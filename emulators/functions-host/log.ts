// Console output in `func start`'s style: "[timestamp] message", one line per event, and
// replayed orchestrator executions hidden unless verbose (the real host logs replays only
// when `logReplayEvents` is on).
export interface HostLogOptions {
  /** Only errors and the start-up banner. */
  quiet?: boolean;
  /** Also debug lines and orchestrator replays. */
  verbose?: boolean;
  write?: (line: string) => void;
}

export class HostLog {
  readonly #quiet: boolean;
  readonly #verbose: boolean;
  readonly #write: (line: string) => void;

  constructor(options: HostLogOptions = {}) {
    this.#quiet = options.quiet ?? false;
    this.#verbose = options.verbose ?? false;
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  #stamp(message: string): string {
    return `[${new Date().toISOString()}] ${message}`;
  }

  /** Always shown: the function list and the "Host started" line that callers wait for. */
  banner(message: string): void {
    this.#write(message);
  }

  info(message: string): void {
    if (!this.#quiet) this.#write(this.#stamp(message));
  }

  debug(message: string): void {
    if (this.#verbose) this.#write(this.#stamp(message));
  }

  error(message: string): void {
    this.#write(this.#stamp(message));
  }

  execution(message: string, isReplay = false): void {
    if (isReplay) this.debug(message);
    else this.info(message);
  }

  /** A line the function (category 'user') or the library ('system') logged. */
  fromFunction(
    functionName: string,
    level: string,
    category: string,
    message: string,
    isReplay = false,
  ): void {
    if (level === 'debug' || level === 'trace') return this.debug(message);
    if (category === 'system' && level === 'information') return this.debug(message);
    if (level === 'error' || level === 'critical') return this.error(`${functionName}: ${message}`);
    if (isReplay) return this.debug(message);
    this.info(message);
  }
}
