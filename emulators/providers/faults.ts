// Deterministic fault injection: the same seed and the same request order give the same
// faults, so a failing test run can be replayed exactly.

export type FaultRule =
  | { route?: string; kind: 'status'; status: 429 | 500 | 503; rate: number; retryAfterSeconds?: number }
  | { route?: string; kind: 'latency'; ms: number; rate: number }
  | { route?: string; kind: 'reset'; rate: number }
  | { route?: string; kind: 'truncate'; rate: number }
  /** The request is carried out, then the connection drops before the answer: the caller cannot know. */
  | { route?: string; kind: 'drop-response'; rate: number };

export interface FaultConfig {
  seed: number;
  rules: FaultRule[];
}

export interface ChosenFaults {
  latencyMs: number;
  status?: { status: 429 | 500 | 503; retryAfterSeconds?: number };
  reset: boolean;
  truncate: boolean;
  dropResponse?: boolean;
}

/** Validates an admin body; returns the config or a message naming what is wrong. */
export function parseFaultConfig(body: Record<string, unknown>): FaultConfig | string {
  const seed = body.seed === undefined ? 1 : body.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) return "'seed' must be an integer";
  if (!Array.isArray(body.rules)) return "'rules' must be an array";
  const rules: FaultRule[] = [];
  for (const [index, raw] of (body.rules as unknown[]).entries()) {
    const rule = raw as Record<string, unknown>;
    const where = `rules[${index}]`;
    if (typeof rule !== 'object' || rule === null) return `${where} must be an object`;
    if (typeof rule.rate !== 'number' || rule.rate < 0 || rule.rate > 1)
      return `${where}.rate must be a number from 0 to 1`;
    if (rule.route !== undefined && typeof rule.route !== 'string') return `${where}.route must be a string`;
    if (rule.kind === 'status') {
      if (![429, 500, 503].includes(rule.status as number)) return `${where}.status must be 429, 500 or 503`;
    } else if (rule.kind === 'latency') {
      if (typeof rule.ms !== 'number' || rule.ms < 0) return `${where}.ms must be a non-negative number`;
    } else if (rule.kind !== 'reset' && rule.kind !== 'truncate' && rule.kind !== 'drop-response') {
      return `${where}.kind must be status, latency, reset, truncate or drop-response`;
    }
    rules.push(rule as FaultRule);
  }
  return { seed, rules };
}

/** mulberry32: tiny, fast, good enough to spread faults evenly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: FaultConfig = { seed: 1, rules: [] };
  private next = seededRandom(1);

  set(config: FaultConfig) {
    this.config = config;
    this.next = seededRandom(config.seed);
  }

  get(): FaultConfig {
    return this.config;
  }

  /** Draws the faults for one request to `routeTemplate` (e.g. "GET /openai/v1/videos/{video_id}"). */
  choose(routeTemplate: string): ChosenFaults {
    const chosen: ChosenFaults = { latencyMs: 0, reset: false, truncate: false };
    for (const rule of this.config.rules) {
      if ((rule.route ?? '*') !== '*' && rule.route !== routeTemplate) continue;
      if (this.next() >= rule.rate) continue;
      if (rule.kind === 'latency') chosen.latencyMs += rule.ms;
      else if (rule.kind === 'reset') chosen.reset = true;
      else if (rule.kind === 'truncate') chosen.truncate = true;
      else if (rule.kind === 'drop-response') chosen.dropResponse = true;
      else chosen.status ??= { status: rule.status, retryAfterSeconds: rule.retryAfterSeconds };
    }
    return chosen;
  }
}
