// The learned job durations (pure): the bounded sample store, its quantiles, the "too few
// samples" state, the sample a finished job gives; and the schedule paced by them, simulated on
// jobs drawn like the bench's (nominal ±30 %), against the fixed 5 s loop and the adaptive policy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addSample,
  densityAt,
  estimateOf,
  jobDurationSample,
  learnedAge,
  MAX_SAMPLES,
  medianEndGiven,
  MIN_SAMPLES,
  quantileOf,
  sampleQuantile,
  seeStart,
  survivalAt,
  widenedBy,
  type DurationEstimate,
} from '../../src/orchestrations/duration-estimate.js';
import {
  callWorth,
  expectedJobSeconds,
  LEARNED_FIRST_WAIT_FACTOR,
  LEARNED_LATENESS_SECONDS,
  learnedDelaySeconds,
  nextPollDelaySeconds,
  type PollBounds,
} from '../../src/orchestrations/poll-policy.js';
import { providerViews } from '../../src/functions/providers-api.js';
import type { ProviderRegistry } from '../../src/providers/registry.js';

/** Seeded uniform draws (a linear congruential generator): the same jobs every run. */
function seeded(seed: number) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}
const spread = (nominal: number, jitter: number, random: () => number) =>
  nominal * (1 + jitter * (2 * random() - 1));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('the sample store', () => {
  test('keeps the newest MAX_SAMPLES durations, oldest first, and ignores nonsense', () => {
    let samples: number[] = [];
    for (let i = 1; i <= MAX_SAMPLES + 7; i++) samples = addSample(samples, i);
    assert.equal(samples.length, MAX_SAMPLES);
    assert.equal(samples[0], 8, 'the oldest seven dropped');
    assert.equal(samples.at(-1), MAX_SAMPLES + 7);
    assert.deepEqual(addSample([1, 2], Number.NaN), [1, 2]);
    assert.deepEqual(addSample([1, 2], -3), [1, 2]);
    assert.deepEqual(addSample([1, 2, 3], 4, 3), [2, 3, 4], 'the bound is a parameter');
  });

  test('quantiles interpolate between order statistics, whatever the order', () => {
    const samples = [40, 10, 30, 20, 50];
    assert.equal(sampleQuantile(samples, 0), 10);
    assert.equal(sampleQuantile(samples, 0.5), 30);
    assert.equal(sampleQuantile(samples, 1), 50);
    assert.equal(sampleQuantile(samples, 0.125), 15);
    assert.throws(() => sampleQuantile([], 0.5), RangeError);
  });

  test('too few samples: no estimate; enough: a table from fastest to slowest', () => {
    const few = Array.from({ length: MIN_SAMPLES - 1 }, (_, i) => 60 + i);
    assert.equal(estimateOf(few), undefined);
    assert.equal(estimateOf([...few, Number.NaN]), undefined, 'invalid samples do not count');
    const enough = Array.from({ length: 21 }, (_, i) => 60 + i * 3);
    const estimate = estimateOf(enough)!;
    assert.equal(estimate.samples, 21);
    assert.equal(estimate.quantiles.length, 21);
    assert.equal(estimate.quantiles[0], 60);
    assert.equal(estimate.quantiles[10], 90);
    assert.equal(estimate.quantiles[20], 120);
    assert.equal(quantileOf(estimate, 0.5), 90);
    assert.equal(quantileOf(estimate, 0.525), 91.5, 'between two steps');
  });

  test('survival, density and the median end given the age read the table', () => {
    const estimate = estimateOf(Array.from({ length: 21 }, (_, i) => 60 + i * 3))!;
    assert.equal(survivalAt(estimate, 10), 1, 'before the fastest: all still running');
    assert.equal(survivalAt(estimate, 120), 0, 'after the slowest: none');
    assert.equal(survivalAt(estimate, 90), 0.5);
    assert.ok(Math.abs(densityAt(estimate, 75) - 1 / 60) < 1e-9, 'uniform over 60 s');
    assert.equal(densityAt(estimate, 130), 0);
    assert.equal(medianEndGiven(estimate, 0), 90, 'a fresh job: the median');
    assert.equal(medianEndGiven(estimate, 90), 105, 'half-way: the median of the rest');
    assert.equal(medianEndGiven(estimate, 121), undefined, 'slower than every sample');
    const tied = estimateOf(Array.from({ length: 10 }, () => 70))!;
    assert.equal(densityAt(tied, 69), 0);
    assert.equal(survivalAt(tied, 70), 0);
  });
});

describe('the sample a finished job gives', () => {
  test('its run alone where the provider says (queue apart), else creation to finish, else none', () => {
    assert.deepEqual(jobDurationSample({ runSeconds: 61.5, createdAt: 100, finishedAt: 300 }), {
      seconds: 61.5,
      clock: 'started',
    });
    assert.deepEqual(jobDurationSample({ createdAt: 100, startedAt: 130, finishedAt: 200 }), {
      seconds: 70,
      clock: 'started',
    });
    assert.deepEqual(jobDurationSample({ createdAt: 100, finishedAt: 200 }), {
      seconds: 100,
      clock: 'created',
    });
    assert.equal(jobDurationSample({ createdAt: 100 }), undefined, 'no finish time: nothing learned');
    assert.equal(jobDurationSample({ finishedAt: 200 }), undefined);
    assert.equal(jobDurationSample({ createdAt: 300, finishedAt: 200 }), undefined, 'clock nonsense');
  });
});

describe("a waiting job's start and age", () => {
  const queued = { phase: 'queued' };
  const working = { phase: 'running' };

  test('queued answers move the window on; the first working answer closes it; later ones keep it', () => {
    let window = seeStart({ from: 100 }, queued, 100, 100.4);
    assert.deepEqual(window, { from: 100 });
    window = seeStart(window, queued, 121, 121.3);
    assert.deepEqual(window, { from: 121 }, 'still queued when asked at 121: started after');
    window = seeStart(window, working, 142, 142.5);
    assert.deepEqual(window, { from: 121, to: 142.5 }, 'working when answered: started by then');
    assert.deepEqual(seeStart(window, working, 160, 160.2), window);
    assert.deepEqual(seeStart(window, queued, 170, 170.2), window, 'a closed window stays closed');
  });

  test("the provider's own start time wins, whatever the answers before", () => {
    assert.deepEqual(seeStart({ from: 100 }, { phase: 'running', startedAt: 109.5 }, 121, 121.3), {
      from: 109.5,
      to: 109.5,
    });
    assert.deepEqual(seeStart({ from: 100 }, working, 100, 100.4), { from: 100, to: 100.4 });
  });

  test('the age is read on the clock of the durations', () => {
    const started = estimateOf(
      Array.from({ length: 8 }, () => 60),
      'started',
    )!;
    const created = estimateOf(
      Array.from({ length: 8 }, () => 60),
      'created',
    )!;
    const older = estimateOf(Array.from({ length: 8 }, () => 60))!;
    const window = { from: 121, to: 142.5 };
    assert.deepEqual(learnedAge(started, window, {}, 100, 150), {
      elapsedSeconds: 29,
      startSpreadSeconds: 21.5,
      startKnown: true,
    });
    assert.deepEqual(
      learnedAge(started, { from: 121 }, {}, 100, 150),
      { elapsedSeconds: 29, startSpreadSeconds: 0, startKnown: false },
      'still queued: aged from its latest queued answer, its start not known yet',
    );
    assert.deepEqual(learnedAge(created, window, {}, 100, 150), {
      elapsedSeconds: 50,
      startSpreadSeconds: 0,
      startKnown: true,
    });
    assert.deepEqual(
      learnedAge(older, window, { startedAt: 110 }, 100, 150),
      { elapsedSeconds: 40, startSpreadSeconds: 0, startKnown: false },
      'an estimate from an older history: as it was read then',
    );
  });

  test('a start known to a window spreads the ends over it', () => {
    const estimate = estimateOf(
      Array.from({ length: 21 }, (_, i) => 60 + i * 3),
      'started',
    )!;
    assert.equal(widenedBy(estimate, 0), estimate);
    const widened = widenedBy(estimate, 20);
    assert.equal(widened.clock, 'started');
    assert.equal(quantileOf(widened, 0), 60, 'none can have ended before the fastest');
    assert.equal(quantileOf(widened, 1), 140, 'a late start: the slowest ends that much later');
    // Uniform ends over 60 s shifted by a start uniform over 20 s: the middle moves by 10 s and
    // the table stays ascending.
    assert.ok(Math.abs(quantileOf(widened, 0.5) - 100) < 0.01, `${quantileOf(widened, 0.5)}`);
    assert.ok(widened.quantiles.every((q, i) => i === 0 || q >= widened.quantiles[i - 1]));
    assert.ok(survivalAt(widened, 125) > 0);
  });
});

describe('the learned schedule', () => {
  const bounds: PollBounds = { minSeconds: 2, maxSeconds: 30 };
  const random = seeded(7);
  const warmUp = Array.from({ length: MAX_SAMPLES }, () => spread(90, 0.3, random));
  const estimate = estimateOf(warmUp)!;
  const fastest = quantileOf(estimate, 0);
  const slowest = quantileOf(estimate, 1);

  test('before the fastest job could end: equal waits within the max, the last one a gap past it', () => {
    const first = learnedDelaySeconds(estimate, 0, bounds);
    assert.ok(first <= bounds.maxSeconds);
    // A call at `fastest` would be the first in the range: the one after it is where we land.
    const target = fastest + learnedDelaySeconds(estimate, fastest, bounds);
    const waits = Math.ceil(target / bounds.maxSeconds);
    assert.ok(Math.abs(first * waits - target) < 1e-9, `${waits} × ${first} s = ${target} s`);
    assert.ok(target > fastest && target < quantileOf(estimate, 0.2));
  });

  test('a job whose start is known: one wait to the same call when it is within LEARNED_FIRST_WAIT_FACTOR × the max', () => {
    const target = fastest + learnedDelaySeconds(estimate, fastest, bounds);
    assert.ok(target <= LEARNED_FIRST_WAIT_FACTOR * bounds.maxSeconds, `${target} s`);
    const first = learnedDelaySeconds(estimate, 0, bounds, 0, true);
    assert.ok(Math.abs(first - target) < 1e-9, `${first} s, not ${target} s`);
    // Longer than the factor allows: equal waits within it.
    const tight: PollBounds = { minSeconds: 2, maxSeconds: 10 };
    const far = fastest + learnedDelaySeconds(estimate, fastest, tight);
    const waits = Math.ceil(far / (LEARNED_FIRST_WAIT_FACTOR * tight.maxSeconds));
    assert.ok(waits > 1);
    const wait = learnedDelaySeconds(estimate, 0, tight, 0, true);
    assert.ok(Math.abs(wait * waits - far) < 1e-9, `${waits} × ${wait} s = ${far} s`);
    // Among the durations seen the bounds hold as before.
    assert.ok(learnedDelaySeconds(estimate, fastest + 1, bounds, 0, true) <= bounds.maxSeconds);
  });

  test('among the durations seen: shorter gaps than the bounds allow, shrinking towards the slowest', () => {
    const early = learnedDelaySeconds(estimate, fastest + 1, bounds);
    const late = learnedDelaySeconds(estimate, slowest - 8, bounds);
    assert.ok(early > late, `gap ${early.toFixed(2)} s early, ${late.toFixed(2)} s late`);
    assert.ok(early < bounds.maxSeconds);
    assert.ok(learnedDelaySeconds(estimate, slowest - 0.5, bounds) >= bounds.minSeconds);
  });

  test('slower than every job seen: from the minimum, growing with the overdue time', () => {
    assert.equal(learnedDelaySeconds(estimate, slowest, bounds), bounds.minSeconds);
    assert.ok(Math.abs(learnedDelaySeconds(estimate, slowest + 20, bounds) - 10) < 1e-9);
    assert.equal(learnedDelaySeconds(estimate, slowest + 200, bounds), bounds.maxSeconds);
  });

  test('jobs that all took the same time (an estimate with no spread): finite waits, landing on it', () => {
    const tied = estimateOf(Array.from({ length: 8 }, () => 2.43))!;
    const delays = [0, 1, 2.43, 2.5, 10].map((at) =>
      learnedDelaySeconds(tied, at, { minSeconds: 0.2, maxSeconds: 1 }),
    );
    assert.ok(delays.every(Number.isFinite), `delays ${delays}`);
    assert.equal(delays[0], 2.43 / 3, 'three equal waits to the moment they all ended');
    assert.equal(delays[2], 0.2, 'then the minimum');
  });

  test('aims at the same mean lateness however widely the jobs end (a start window apart): the wider, the cheaper a call', () => {
    const results = [0.1, 0.3, 0.5].flatMap((jitter) =>
      [0, 20].map((window) => {
        const draw = seeded(11);
        const kind = estimateOf(
          Array.from({ length: MAX_SAMPLES }, () => spread(90, jitter, draw)),
          'started',
        )!;
        // Jobs of that kind whose start is known only to a window `window` s wide.
        const ends = Array.from({ length: 500 }, () => spread(90, jitter, draw) + draw() * window);
        let late = 0;
        let calls = 0;
        for (const end of ends) {
          let at = 0;
          do {
            at += learnedDelaySeconds(kind, at, { minSeconds: 0.1, maxSeconds: 30 }, window);
            calls++;
          } while (at < end);
          late += at - end;
        }
        return {
          label: `±${jitter * 100} %, window ${window} s`,
          worth: callWorth(widenedBy(kind, window)),
          late: late / ends.length,
          calls: calls / ends.length,
        };
      }),
    );
    const detail = results
      .map(
        (r) =>
          `${r.label}: worth ${r.worth.toFixed(3)}, ${r.late.toFixed(2)} s late, ${r.calls.toFixed(1)} calls`,
      )
      .join('; ');
    for (const r of results.filter((_, i) => i % 2 === 0)) {
      // The target, plus what whole calls add (the first call past the fastest job, the last gaps).
      assert.ok(r.late >= LEARNED_LATENESS_SECONDS * 0.9 && r.late <= LEARNED_LATENESS_SECONDS * 1.5, detail);
    }
    for (let i = 2; i < results.length; i += 2) {
      assert.ok(results[i].worth < results[i - 2].worth, `wider ends, cheaper calls: ${detail}`);
      assert.ok(results[i].calls > results[i - 2].calls, detail);
    }
    assert.ok(results[1].worth < results[0].worth, `a start window spreads the ends: ${detail}`);
    // A start window is paid for in lateness, not calls (next test): later than the same jobs with
    // a known start, with at most one call more than they make (whole calls: the range is wider).
    for (let i = 1; i < results.length; i += 2) {
      assert.ok(results[i].late > results[i - 1].late, detail);
      assert.ok(results[i].calls <= results[i - 1].calls + 1, detail);
    }
  });

  test("a start window costs lateness, not calls: the calls among the ends are those of the kind's own durations", () => {
    const window = 20;
    const widened = widenedBy(estimate, window);
    // Expected calls among the ends, ∫ S/g over the range the gaps are laid on.
    const callsAmongEnds = (table: DurationEstimate, spreadSeconds: number) => {
      const from = quantileOf(table, 0);
      const to = quantileOf(table, 1);
      const steps = 400;
      const step = (to - from) / steps;
      let calls = 0;
      for (let i = 0; i < steps; i++) {
        const at = from + (i + 0.5) * step;
        const gap = learnedDelaySeconds(estimate, at, { minSeconds: 1e-6, maxSeconds: 1e6 }, spreadSeconds);
        calls += (survivalAt(table, at) / gap) * step;
      }
      return calls;
    };
    const own = callsAmongEnds(estimate, 0);
    const spread = callsAmongEnds(widened, window);
    assert.ok(
      Math.abs(spread - own) / own < 0.05,
      `${spread.toFixed(2)} calls with the window, ${own.toFixed(2)} without`,
    );
    // Priced on the kind's own durations alone, the window would have bought calls too.
    const ownPriced = (at: number) =>
      Math.sqrt((2 * callWorth(estimate) * survivalAt(widened, at)) / densityAt(widened, at));
    const at = quantileOf(widened, 0.5);
    assert.ok(learnedDelaySeconds(estimate, at, { minSeconds: 0.1, maxSeconds: 30 }, window) > ownPriced(at));
  });

  test('a start known only to a window: the first calls wait for the earliest end it allows', () => {
    const window = 20;
    const first = learnedDelaySeconds(estimate, 0, bounds, window);
    assert.ok(first <= bounds.maxSeconds);
    const target = fastest + learnedDelaySeconds(estimate, fastest, bounds, window);
    const widenedFastest = quantileOf(widenedBy(estimate, window), 0);
    assert.equal(widenedFastest, fastest, 'the window only adds: the earliest end stays');
    assert.ok(first * Math.ceil(target / bounds.maxSeconds) >= target - 1e-9);
    // Past the slowest job seen but within the window's reach: still paced, not overdue.
    assert.ok(learnedDelaySeconds(estimate, slowest + 5, bounds, window) < bounds.maxSeconds);
    assert.equal(learnedDelaySeconds(estimate, slowest + window, bounds, window), bounds.minSeconds);
  });

  const observation = (elapsed: number, extra: { progress?: number; learned?: boolean } = {}) =>
    ({
      kind: 'status',
      stage: 'working',
      progress: extra.progress,
      elapsedSeconds: elapsed,
      expectedSeconds: 145,
      // Aged from a known start (a provider's own start time, or the create for 'created' kinds).
      ...(extra.learned === false
        ? {}
        : { learned: { estimate, elapsedSeconds: elapsed, startKnown: true } }),
    }) as const;

  test('the policy uses it when given, and not when the job reports progress (its own clock)', () => {
    assert.equal(
      nextPollDelaySeconds(observation(70), bounds),
      learnedDelaySeconds(estimate, 70, bounds, 0, true),
    );
    assert.equal(
      nextPollDelaySeconds(observation(0), bounds),
      learnedDelaySeconds(estimate, 0, bounds, 0, true),
      'the start known: the first wait may pass the max',
    );
    assert.equal(
      nextPollDelaySeconds(observation(70, { progress: 40 }), bounds),
      nextPollDelaySeconds(observation(70, { progress: 40, learned: false }), bounds),
    );
  });

  // The bench's shape: jobs of one kind, ±30 % around 90 s, noticed by each schedule.
  function simulate(finish: number, nextDelay: (elapsed: number) => number) {
    let elapsed = 0;
    for (let calls = 1; ; calls++) {
      elapsed += nextDelay(elapsed);
      if (elapsed >= finish) return { calls, lateness: elapsed - finish };
    }
  }
  const jobs = Array.from({ length: 400 }, () => spread(90, 0.3, random));
  const run = (nextDelay: (elapsed: number) => number) => {
    const results = jobs.map((finish) => simulate(finish, nextDelay));
    return { calls: mean(results.map((r) => r.calls)), lateness: mean(results.map((r) => r.lateness)) };
  };
  const fixed = run(() => 5);
  const learned = run((elapsed) => nextPollDelaySeconds(observation(elapsed), bounds));
  const expected = expectedJobSeconds({ size: '16:9', seconds: 5, variants: 1 });
  const cold = run((elapsed) =>
    nextPollDelaySeconds({ ...observation(elapsed, { learned: false }), expectedSeconds: expected }, bounds),
  );
  const describeRun = (r: { calls: number; lateness: number }) =>
    `${r.calls.toFixed(2)} calls, ${r.lateness.toFixed(2)} s late`;

  test('as early as the fixed 5 s loop with at most half its calls', () => {
    const detail = `learned ${describeRun(learned)}; fixed ${describeRun(fixed)}`;
    assert.ok(learned.lateness <= fixed.lateness, detail);
    assert.ok(learned.calls <= fixed.calls / 2, detail);
  });

  test('better than the adaptive policy without samples on lateness', () => {
    assert.ok(learned.lateness < cold.lateness, `learned ${describeRun(learned)}; cold ${describeRun(cold)}`);
  });
});

describe('GET /api/providers: learned figures', () => {
  const model = { id: 'm', seconds: [5], defaultSeconds: 5, sizes: ['16:9'], defaultSize: '16:9' };
  const provider = {
    name: 'queue',
    kind: 'fal',
    models: [
      { ...model, maxVariants: 1, imageInput: false, audio: false, options: false, promptEcho: false },
      {
        ...model,
        id: 'other',
        maxVariants: 1,
        imageInput: false,
        audio: false,
        options: false,
        promptEcho: false,
      },
    ],
  };
  const registry = { list: () => [provider], defaultName: 'queue' } as unknown as ProviderRegistry;
  const kind = { provider: 'queue', model: 'm', size: '16:9', seconds: 5, variants: 1 };

  test('median and p90 per kind once it has enough samples; none before', () => {
    const samples = Array.from({ length: 11 }, (_, i) => 60 + i * 6);
    const views = providerViews(
      registry,
      new Map([
        [
          'queue',
          [
            { kind, samples },
            { kind: { ...kind, seconds: 10 }, samples: samples.slice(0, MIN_SAMPLES - 1) },
          ],
        ],
      ]),
    );
    assert.deepEqual(views[0].models[0].learned, [
      { size: '16:9', seconds: 5, variants: 1, samples: 11, medianSeconds: 90, p90Seconds: 114 },
    ]);
    assert.equal(views[0].models[1].learned, undefined, 'another model learns nothing from these');
    assert.equal(providerViews(registry)[0].models[0].learned, undefined);
  });
});
