// POST /api/callbacks/{provider}: a provider's webhook. Providers cannot hold our function keys,
// so the route is anonymous and the signature is checked before anything else: unknown
// provider, missing, bad or stale signature → 401 with a problem body and no side effect; a
// body over 1 MiB → 413 (read no further). A verified event finds its instance through the
// job's claim and is raised on it as an external event; the orchestration, which waits for it
// raced against its fallback poll, then goes on at once. Names no provider.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { toJobSummary } from '../activities/video-activities.js';
import { UPSTREAM_JOB_EVENT, type GenerateVideoInput } from '../orchestrations/contracts.js';
import { DependencyTimeoutError, WebhookVerificationError } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JobClaims } from '../storage/job-claims.js';
import { withTimeout } from '../storage/with-timeout.js';
import { problem } from './problem.js';
import { readLimited } from './read-body.js';
import { RefusalCounter } from './refusal-log.js';
import { answeringTimeoutsWith503 } from './unavailable.js';

/** Webhook bodies are one job's state: far below this. */
export const MAX_CALLBACK_BYTES = 1024 * 1024;

export interface CallbacksApiDeps {
  providers: () => ProviderRegistry;
  claims: () => JobClaims;
}

const unauthorized = (detail: string) => problem(401, 'Unauthorized webhook', detail);

export function createCallbacksApi(deps: CallbacksApiDeps) {
  const refusals = new RefusalCounter();
  async function receive(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const provider = deps.providers().find(request.params.provider ?? '');
    // The same answer for "no such provider" and "bad signature": nothing to learn by probing.
    if (!provider?.webhooks)
      return unauthorized('The webhook is not signed by a provider this app accepts webhooks from.');
    const body = await readLimited(request, MAX_CALLBACK_BYTES);
    if (!body)
      return problem(413, 'Webhook too large', `A webhook body may be at most ${MAX_CALLBACK_BYTES} bytes.`);
    const headers = Object.fromEntries(
      [...request.headers].map(([name, value]) => [name.toLowerCase(), value]),
    );

    let event;
    try {
      event = await provider.webhooks.verify(headers, body);
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        const refused = refusals.record(provider.name);
        if (refused.write)
          context.warn(
            `Refused a ${provider.name} webhook: ${error.message} ` +
              `(refused ${provider.name} webhooks: ${refused.count}; not logged since the last: ${refused.unwritten})`,
          );
        return unauthorized('The webhook signature is missing, invalid or stale.');
      }
      // Our side could not check it (the provider's keys unreachable): ask the provider to retry.
      context.warn(`Could not verify a ${provider.name} webhook: ${(error as Error).message}`);
      return problem(
        503,
        'Cannot verify now',
        'The webhook could not be verified right now; deliver it again later.',
        undefined,
        { 'retry-after': '30' },
      );
    }

    // Storage calls are bounded as in the videos API: frozen storage is a 503 + Retry-After, which
    // providers retry, never a delivery held open.
    const owner = await withTimeout(
      'finding the job owner',
      deps.claims().ownerRunOf(provider.name, event.jobId),
    );
    // Not ours (yet): the create may not have recorded its job. A 404 makes the provider retry.
    if (!owner) return problem(404, 'Unknown job', `No request owns ${provider.name} job ${event.jobId}.`);
    const { instanceId } = owner;
    if (!event.job) return { status: 200, jsonBody: { received: true, instanceId } };
    try {
      const client = df.getClient(context);
      // Only the run that owns the job: an id started again (after a purge) is another run, and a
      // late delivery for the old run's job must not reach it.
      const current = await withTimeout(
        'reading the job owner',
        client.getStatus(instanceId, { showInput: true }),
      );
      if ((current.input as GenerateVideoInput | undefined)?.runId !== owner.runId)
        return { status: 200, jsonBody: { received: true, instanceId, ignored: true } };
      await withTimeout(
        'raising the job event',
        client.raiseEvent(instanceId, UPSTREAM_JOB_EVENT, toJobSummary(event.job)),
      );
    } catch (error) {
      if (error instanceof DependencyTimeoutError) throw error;
      // The request already ended (completed, failed, cancelled): the event changes nothing.
      context.log(
        `Ignored a ${provider.name} webhook for ${instanceId}: ${(error as Error).message.split('\n')[0]}`,
      );
      return { status: 200, jsonBody: { received: true, instanceId, ignored: true } };
    }
    return { status: 200, jsonBody: { received: true, instanceId } };
  }
  return { receive: answeringTimeoutsWith503(receive), refusals };
}
