// Named errors, so callers (and the orchestrator's retry rules) decide by class, not by message text.

/** Base class of every error this app raises on purpose. */
export class SoraPipelineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Settings are missing or invalid; raised once at start-up with every problem listed. */
export class ConfigError extends SoraPipelineError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid app settings: ${problems.join('; ')}.`);
    this.problems = problems;
  }
}
