// Named errors, so callers (and the orchestrator's retry rules) decide by class, not by message text.
// Every provider adapter raises these same classes; none of them names a provider.

/** Base class of every error this app raises on purpose. */
export class PipelineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Settings are missing or invalid; raised once at start-up with every problem listed. */
export class ConfigError extends PipelineError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid app settings: ${problems.join('; ')}.`);
    this.problems = problems;
  }
}

/** The provider answered, or failed to answer, in a way worth retrying later (429, 5xx, network). */
export class ProviderTransientError extends PipelineError {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** From retry-after-ms / retry-after, when the service said when to come back. */
    readonly retryAfterSeconds: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The provider refused the request itself (4xx): retrying the same request cannot succeed. */
export class ProviderPermanentError extends PipelineError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The provider's content filter refused the prompt or the output. */
export class ContentFilteredError extends ProviderPermanentError {}

/** A create request was sent but no usable answer arrived: a job may or may not exist (never re-send blindly). */
export class CreateOutcomeUnknownError extends PipelineError {}

/** A provider's webhook is unsigned, forged, stale or malformed: the receiver answers 401 and does nothing. */
export class WebhookVerificationError extends PipelineError {}

/** A provider's webhook keys (a signing secret, a JWKS) could not be fetched lately, so no new
 * fetch is tried before `retryAfterSeconds`: the receiver answers 503 and the provider retries. */
export class WebhookKeysUnavailableError extends PipelineError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A storage or durable call did not answer within its bound (the HTTP layer answers 503). */
export class DependencyTimeoutError extends PipelineError {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not answer within ${ms / 1000} s`);
  }
}
