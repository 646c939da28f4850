// wakeAdmissionWaiters: tells requests waiting in an account's line that a slot or a create may
// have come free (the admission entity named them in its answer to `release` or `created`), so
// they ask again at once rather than at their timer. An entity cannot raise an event to an
// orchestration in JavaScript (docs/admission.md); the durable client can. Best effort: a
// waiter that misses it asks at its timer anyway.
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ADMISSION_TURN_EVENT, type WakeWaitersInput } from '../orchestrations/contracts.js';

export async function wakeAdmissionWaiters(
  input: WakeWaitersInput,
  context: InvocationContext,
): Promise<{ woken: number }> {
  const client = df.getClient(context);
  const results = await Promise.allSettled(
    input.instanceIds.map((id) => client.raiseEvent(id, ADMISSION_TURN_EVENT, {})),
  );
  return { woken: results.filter((r) => r.status === 'fulfilled').length };
}
