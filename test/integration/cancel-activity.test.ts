// cancelVideoJob on the real parts: it deletes the Sora job and every video already stored
// for the instance (a failed multi-variant request must leave no blob), and nothing else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startSoraEmulator, type RunningSoraEmulator } from '../../emulators/sora/index.js';
import { JobClaims } from '../../src/activities/job-claims.js';
import { createActivities } from '../../src/activities/video-activities.js';
import { apiKeyAuth } from '../../src/sora/auth.js';
import { createSoraClient } from '../../src/sora/client.js';

let azurite: RunningAzurite;
let sora: RunningSoraEmulator;
let container: ContainerClient;
before(async () => {
  azurite = await startAzurite();
  sora = await startSoraEmulator({ port: 0, apiKey: 'k', timeScale: 5 });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('videos');
  await container.createIfNotExists();
});
after(async () => {
  await sora?.stop();
  await azurite?.stop();
});

const names = async (prefix: string) => {
  const found: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) found.push(blob.name);
  return found.sort();
};

test('deletes the Sora job and the instance\'s stored videos, and only those', async () => {
  const client = createSoraClient({ endpoint: sora.url, auth: apiKeyAuth('k'), requestTimeoutMs: 5000 });
  const activities = createActivities({ sora: client, container: async () => container, claims: new JobClaims(async () => container) });
  const job = await client.createJob({ family: 'jobs', model: 'sora', prompt: 'A cat playing piano in a jazz bar.', width: 480, height: 480, seconds: 5, variants: 2 });
  for (const name of ['inst1/gen_a.mp4', 'inst1/gen_b.mp4', 'inst10/gen_c.mp4', 'inst2/gen_d.mp4']) {
    await container.getBlockBlobClient(name).upload('x', 1);
  }
  const result = await activities.cancelVideoJob({ family: 'jobs', jobId: job.jobId, instanceId: 'inst1' });
  assert.deepEqual(result, { ok: true, blobsDeleted: 2 });
  assert.deepEqual(await names('inst'), ['inst10/gen_c.mp4', 'inst2/gen_d.mp4'], 'other instances keep theirs (inst10 is not inst1)');
  const gone = await fetch(`${sora.url}/openai/v1/video/generations/jobs/${job.jobId}?api-version=preview`, { headers: { 'api-key': 'k' } });
  assert.equal(gone.status, 404);
  assert.deepEqual(await activities.cancelVideoJob({ family: 'jobs', jobId: job.jobId, instanceId: 'inst1' }), { ok: true, blobsDeleted: 0 }, 'twice is fine');
});

test('createVideoJob for an instance the caller already cancelled sends no create', async () => {
  const client = createSoraClient({ endpoint: sora.url, auth: apiKeyAuth('k'), requestTimeoutMs: 5000 });
  const claims = new JobClaims(async () => container);
  const activities = createActivities({ sora: client, container: async () => container, claims });
  const listed = async () => (await client.listRecentJobs('jobs', 50)).length;
  const jobsBefore = await listed();
  await claims.markCancelled('inst-cancelled');
  await claims.markCancelled('inst-cancelled');
  const result = await activities.createVideoJob({
    instanceId: 'inst-cancelled',
    request: { family: 'jobs', model: 'sora', prompt: 'A cat playing piano in a jazz bar.', width: 480, height: 480, seconds: 5, variants: 1 },
  });
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.message : '', /cancelled before its Sora job was created/);
  assert.equal(await listed(), jobsBefore, 'no job was created');
  assert.equal(await claims.isCancelled('inst-other'), false);
});
