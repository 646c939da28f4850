// Problem types the API answers with (RFC 9457 `type`), apart from the response schemas
// (api-schemas.ts re-exports them) so a handler can name one without building those at app load.

/** The problem type of a request refused for its provider's daily budget. */
export const DAILY_BUDGET_PROBLEM = 'urn:durable-video:problem:daily-budget-exceeded';
