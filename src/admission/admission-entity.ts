// The admission entity: one per provider account (its key is the account, see limits.ts), the
// durable home of that account's line (line.ts). Operations, each with the caller's clock:
// - enqueue {instanceId, runId, arrivedAt, now, waitLeaseMs} (the starter, a signal)
// - ask {instanceId, runId, arrivedAt, now, limits, waitLeaseMs, holdUntil} → AdmissionAnswer
// - release {instanceId, runId, now} → {wake} (the waiters to tell that their turn may have come)
// - requested {now} (the orchestrator, a signal: a request started; every provider's account)
// - created {instanceId, now, day, costUsd?} → {wake} (the provider took the create: a job; the
//   front of the line is woken, their places having moved up)
// - throttled {now, retryAfterMs} (the orchestrator, a signal: the provider answered a create 429)
// - delivered {now, day, askedSeconds, estimatedUsd, seconds, usd} (a completed request's usage)
// - refusedByBudget {now} (the starter refused a request for the day's budget)
// - get → the line (tests, diagnosis)
// An entity runs one operation at a time, in order, and keeps its state across host restarts:
// exactly what a line needs (durable-functions 3.x entities; docs/admission.md).
import type { EntityContext, EntityHandler } from 'durable-functions';
import type { ReleaseInput } from '../orchestrations/contracts.js';
import {
  ask,
  created,
  emptyLine,
  nextUp,
  requested,
  enqueue,
  delivered,
  refusedByBudget,
  release,
  throttled,
  type AdmitAsk,
  type CreatedInput,
  type DeliveredInput,
  type RequestedInput,
  type EnqueueInput,
  type LineState,
  type ThrottledInput,
  type WakeAnswer,
} from './line.js';

export const admissionEntity: EntityHandler<LineState> = (context: EntityContext<LineState>) => {
  const state = context.df.getState(emptyLine) ?? emptyLine();
  switch (context.df.operationName) {
    case 'ask': {
      const result = ask(state, context.df.getInput<AdmitAsk>()!);
      context.df.setState(result.state);
      context.df.return(result.answer);
      return;
    }
    case 'enqueue':
      context.df.setState(enqueue(state, context.df.getInput<EnqueueInput>()!));
      return;
    case 'requested':
      context.df.setState(requested(state, context.df.getInput<RequestedInput>()!));
      return;
    case 'created': {
      const next = created(state, context.df.getInput<CreatedInput>()!);
      context.df.setState(next);
      context.df.return({ wake: nextUp(next, true) } satisfies WakeAnswer);
      return;
    }
    case 'delivered':
      context.df.setState(delivered(state, context.df.getInput<DeliveredInput>()!));
      return;
    case 'refusedByBudget':
      context.df.setState(refusedByBudget(state, context.df.getInput<{ now: number }>()!.now));
      return;
    case 'throttled':
      context.df.setState(throttled(state, context.df.getInput<ThrottledInput>()!));
      return;
    case 'release': {
      const input = context.df.getInput<ReleaseInput>()!;
      const next = release(state, input.instanceId, input.runId, input.now);
      context.df.setState(next);
      context.df.return({ wake: nextUp(next) } satisfies WakeAnswer);
      return;
    }
    case 'get':
      context.df.return(state);
      return;
    default:
      throw new Error(`The admission entity has no operation ${String(context.df.operationName)}`);
  }
};
