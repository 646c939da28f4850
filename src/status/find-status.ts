// Reading one durable instance's status, bounded in time.
import type * as df from 'durable-functions';
import { GENERATE_VIDEO } from '../orchestrations/contracts.js';
import { withTimeout } from '../storage/with-timeout.js';

type DurableClient = ReturnType<typeof df.getClient>;
export type DurableStatus = Awaited<ReturnType<DurableClient['getStatus']>>;

/** getStatus throws for an unknown id (the extension answers 404); that is "absent", not an error. */
export async function findStatus(
  client: DurableClient,
  id: string,
  showInput = false,
): Promise<DurableStatus | undefined> {
  try {
    return await withTimeout(`reading the status of ${id}`, client.getStatus(id, { showInput }));
  } catch (error) {
    if (/404/.test((error as Error).message)) return undefined;
    throw error;
  }
}

/** A video request's status, with its input: an instance of another orchestration (a callback's
 * delivery is `{id}-callback`, an id the API's routes accept) is no request, so absent too. */
export async function findVideoRequest(
  client: DurableClient,
  id: string,
): Promise<DurableStatus | undefined> {
  const status = await findStatus(client, id, true);
  return status?.name === GENERATE_VIDEO ? status : undefined;
}
