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
import { WebhookVerificationError } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JobClaims } from '../storage/job-claims.js';
import { problem } from './problem.js';

/** Webhook bodies are one job's state: far below this. */
export const MAX_CALLBACK_BYTES = 1024 * 1024;

export interface CallbacksApiDeps {
  providers: () => ProviderRegistry;
  claims: () => JobClaims;
}

/** The body, or undefined once it passes `limit` bytes (reading stops there). */
async function readLimited(request: HttpRequest, limit: number): Promise<Buffer | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) return undefined;
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(Buffer.from(value));
  }
}

const unauthorized = (detail: string) => problem(401, 'Unauthorized webhook', detail);

export function createCallbacksApi(deps: CallbacksApiDeps) {
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
        context.warn(`Refused a ${provider.name} webhook: ${error.message}`);
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

    const owner = await deps.claims().ownerRunOf(provider.name, event.jobId);
    // Not ours (yet): the create may not have recorded its job. A 404 makes the provider retry.
    if (!owner) return problem(404, 'Unknown job', `No request owns ${provider.name} job ${event.jobId}.`);
    const { instanceId } = owner;
    if (!event.job) return { status: 200, jsonBody: { received: true, instanceId } };
    try {
      const client = df.getClient(context);
      // Only the run that owns the job: an id started again (after a purge) is another run, and a
      // late delivery for the old run's job must not reach it.
      const current = await client.getStatus(instanceId, { showInput: true });
      if ((current.input as GenerateVideoInput | undefined)?.runId !== owner.runId)
        return { status: 200, jsonBody: { received: true, instanceId, ignored: true } };
      await client.raiseEvent(instanceId, UPSTREAM_JOB_EVENT, toJobSummary(event.job));
    } catch (error) {
      // The request already ended (completed, failed, cancelled): the event changes nothing.
      context.log(
        `Ignored a ${provider.name} webhook for ${instanceId}: ${(error as Error).message.split('\n')[0]}`,
      );
      return { status: 200, jsonBody: { received: true, instanceId, ignored: true } };
    }
    return { status: 200, jsonBody: { received: true, instanceId } };
  }
  return { receive };
}
