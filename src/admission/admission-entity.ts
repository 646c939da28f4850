// The admission entity: one per provider account (its key is the account, see limits.ts), the
// durable home of that account's line (line.ts). Operations, each with the caller's clock:
// - enqueue {instanceId, runId, arrivedAt, now, waitLeaseMs} (the starter, a signal)
// - ask {instanceId, runId, arrivedAt, now, limits, waitLeaseMs, holdUntil} → AdmissionAnswer
// - release {instanceId, now}
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
  emptyLine,
  enqueue,
  delivered,
  refusedByBudget,
  release,
  throttled,
  type AdmitAsk,
  type DeliveredInput,
  type EnqueueInput,
  type LineState,
  type ThrottledInput,
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
      context.df.setState(release(state, input.instanceId, input.runId, input.now));
      return;
    }
    case 'get':
      context.df.return(state);
      return;
    default:
      throw new Error(`The admission entity has no operation ${String(context.df.operationName)}`);
  }
};
