// The activities on the real parts (the Sora emulator over HTTP, Azurite): cancelVideoJob
// deletes the Sora job and every video already stored for the instance (a failed
// multi-variant request must leave no blob), and nothing else; createVideoJob respects a
// cancel and never shares a job with another request; claims read whole.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { JobClaims } from '../../src/storage/job-claims.js';
import { createActivities } from '../../src/activities/video-activities.js';
import { createAzureOpenAiProvider } from '../../src/providers/azure-openai/provider.js';
import type { VideoRequest } from '../../src/requests/video-request.js';

let azurite: RunningAzurite;
let emulator: RunningProviderEmulator;
let container: ContainerClient;
before(async () => {
  azurite = await startAzurite();
  emulator = await startProviderEmulator({ port: 0, apiKey: 'k', timeScale: 5, maxRunningJobs: 20 });
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('videos');
  await container.createIfNotExists();
});
after(async () => {
  await emulator?.stop();
  await azurite?.stop();
});

/** The azure-openai adapter on the emulator. */
const adapterOn = (emulator: RunningProviderEmulator) =>
  createAzureOpenAiProvider(
    'azure-openai',
    { endpoint: emulator.url, apiKey: 'k', jobsDeployment: 'sora', videosDeployment: 'sora-2' },
    { requestTimeoutMs: 5000 },
  );
/** The adapter as the registry would resolve it. */
const providersOn = (emulator: RunningProviderEmulator) => {
  const provider = adapterOn(emulator);
  return { get: () => provider };
};
const jobsRequest = (prompt: string): VideoRequest => ({
  provider: 'azure-openai',
  kind: 'azure-openai',
  model: 'sora',
  prompt,
  size: '480x480',
  seconds: 5,
  variants: 1,
});

const names = async (prefix: string) => {
  const found: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) found.push(blob.name);
  return found.sort();
};

test("deletes the Sora job and the instance's stored videos, and only those", async () => {
  const client = adapterOn(emulator);
  const activities = createActivities({
    providers: providersOn(emulator),
    container: async () => container,
    claims: new JobClaims(async () => container),
  });
  const job = await client.createJob({
    model: 'sora',
    prompt: 'A cat playing piano in a jazz bar.',
    size: '480x480',
    seconds: 5,
    variants: 2,
  });
  for (const name of ['inst1/gen_a.mp4', 'inst1/gen_b.mp4', 'inst10/gen_c.mp4', 'inst2/gen_d.mp4']) {
    await container.getBlockBlobClient(name).upload('x', 1);
  }
  const result = await activities.cancelVideoJob({
    provider: 'azure-openai',
    model: 'sora',
    jobId: job.jobId,
    instanceId: 'inst1',
  });
  assert.deepEqual(result, { ok: true, blobsDeleted: 2 });
  assert.deepEqual(
    await names('inst'),
    ['inst10/gen_c.mp4', 'inst2/gen_d.mp4'],
    'other instances keep theirs (inst10 is not inst1)',
  );
  const gone = await fetch(
    `${emulator.url}/openai/v1/video/generations/jobs/${job.jobId}?api-version=preview`,
    { headers: { 'api-key': 'k' } },
  );
  assert.equal(gone.status, 404);
  assert.deepEqual(
    await activities.cancelVideoJob({
      provider: 'azure-openai',
      model: 'sora',
      jobId: job.jobId,
      instanceId: 'inst1',
    }),
    { ok: true, blobsDeleted: 0 },
    'twice is fine',
  );
});

test('createVideoJob for an instance the caller already cancelled sends no create', async () => {
  const client = adapterOn(emulator);
  const claims = new JobClaims(async () => container);
  const activities = createActivities({
    providers: providersOn(emulator),
    container: async () => container,
    claims,
  });
  const listed = async () => (await client.listRecentJobs!('sora', 50)).jobs.length;
  const jobsBefore = await listed();
  await claims.markCancelled('inst-cancelled');
  await claims.markCancelled('inst-cancelled');
  const result = await activities.createVideoJob({
    instanceId: 'inst-cancelled',
    request: jobsRequest('A cat playing piano in a jazz bar.'),
  });
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.message : '', /cancelled before its job was created/);
  assert.equal(await listed(), jobsBefore, 'no job was created');
  assert.equal(await claims.isCancelled('inst-other'), false);
});

test('an intent read while it is being rewritten comes back whole, old or new', async () => {
  const claims = new JobClaims(async () => container);
  const short = { provider: 'azure-openai', model: 'sora', startedAt: 1 } as const;
  const long = {
    provider: 'azure-openai',
    model: 'sora',
    startedAt: 1,
    sentAt: 2,
    jobId: `task_${'x'.repeat(40)}`,
  } as const;
  await claims.writeIntent('inst-rewritten', short);
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) await claims.writeIntent('inst-rewritten', i % 2 ? short : long);
  })();
  try {
    for (let i = 0; i < 150; i++) {
      const seen = await claims.readIntent('inst-rewritten');
      assert.ok(seen?.jobId === undefined || seen.jobId === long.jobId, JSON.stringify(seen));
    }
  } finally {
    writing = false;
    await writer;
  }
});

test('createVideoJob whose job another request adopted before the claim: gives it up, then makes its own', async () => {
  const client = adapterOn(emulator);
  const claims = new JobClaims(async () => container);
  // The other request (its own create lost) claims our job between Sora's answer and our claim.
  class RacedClaims extends JobClaims {
    stolen?: string;
    override async claimJob(provider: string, jobId: string, instanceId: string): Promise<boolean> {
      if (!this.stolen) {
        this.stolen = jobId;
        assert.equal(await claims.claimJob(provider, jobId, 'inst-thief'), true);
      }
      return super.claimJob(provider, jobId, instanceId);
    }
  }
  const raced = new RacedClaims(async () => container);
  const activities = createActivities({
    providers: providersOn(emulator),
    container: async () => container,
    claims: raced,
    createSettleSeconds: 0,
  });
  const input = { instanceId: 'inst-robbed', request: jobsRequest(`A heron fishing at dawn ${Date.now()}.`) };
  const first = await activities.createVideoJob(input);
  assert.equal(first.ok, false, 'the adopted job is not used twice');
  assert.equal(!first.ok && first.kind, 'transient');
  assert.equal((await claims.readIntent('inst-robbed'))?.jobId, undefined);
  const second = await activities.createVideoJob(input);
  assert.ok(second.ok, JSON.stringify(second));
  assert.notEqual(second.job.jobId, raced.stolen, 'a job of its own');
  assert.equal((await claims.readIntent('inst-robbed'))?.jobId, second.job.jobId);
  const ours = (await client.listRecentJobs!('sora', 50)).jobs.filter(
    (job) => job.echo?.prompt === input.request.prompt,
  );
  assert.equal(ours.length, 2, 'one job per request: the thief keeps the first');
});

test("a lost Sora 2 create never adopts another client's job of the same size: outcome unknown, nothing deleted", async () => {
  // Azure's videos API does not echo prompts: a job of the same size and length could be anyone's.
  const client = adapterOn(emulator);
  const claims = new JobClaims(async () => container);
  let now = Math.floor(Date.now() / 1000);
  const activities = createActivities({
    providers: providersOn(emulator),
    container: async () => container,
    claims,
    createSettleSeconds: 20,
    nowSeconds: () => now,
  });
  // Our create was sent and its answer lost; meanwhile another client's create succeeded.
  await claims.writeIntent('inst-lost-sora2', {
    provider: 'azure-openai',
    model: 'sora-2',
    startedAt: now - 1,
    sentAt: now - 1,
  });
  const others = await client.createJob({
    model: 'sora-2',
    prompt: "Somebody else's video.",
    variants: 1,
    size: '720x1280',
    seconds: 8,
  });
  const input = {
    instanceId: 'inst-lost-sora2',
    request: { ...jobsRequest('Ours.'), model: 'sora-2', size: '720x1280', seconds: 8 },
  };
  for (const wait of [0, 30]) {
    now += wait;
    const result = await activities.createVideoJob(input);
    assert.equal(result.ok, false, JSON.stringify(result));
    assert.equal(!result.ok && result.kind, 'permanent', 'never re-sent: that could bill a second job');
    assert.match(!result.ok ? result.message : '', /outcome unknown/);
  }
  assert.equal((await claims.readIntent('inst-lost-sora2'))?.jobId, undefined, 'nothing adopted');
  const theirs = await client.getJob({ model: 'sora-2', jobId: others.jobId });
  assert.equal(theirs.jobId, others.jobId, "the other client's job is untouched");
});

test("a lost Sora 1 create is adopted by its echoed prompt even when the provider's clock is 30 s behind ours", async () => {
  // The provider's clock, 30 s behind: every created_at and Date header it sends is shifted.
  const behind = 30;
  const skewed: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const text = await response.text();
    const body = text.replace(
      /"created_at":(\d+)/g,
      (_m, at: string) => `"created_at":${Number(at) - behind}`,
    );
    const headers = new Headers(response.headers);
    headers.set(
      'date',
      new Date(Date.parse(response.headers.get('date') ?? '') - behind * 1000).toUTCString(),
    );
    headers.delete('content-length');
    return new Response(response.status === 204 ? null : body, { status: response.status, headers });
  };
  const provider = createAzureOpenAiProvider(
    'azure-openai',
    { endpoint: emulator.url, apiKey: 'k', jobsDeployment: 'sora', videosDeployment: 'sora-2' },
    { requestTimeoutMs: 5000, fetch: skewed },
  );
  const claims = new JobClaims(async () => container);
  const activities = createActivities({
    providers: { get: () => provider },
    container: async () => container,
    claims,
    createSettleSeconds: 20,
  });
  const prompt = `A lighthouse in fog ${Date.now()}.`;
  const now = Math.floor(Date.now() / 1000);
  // Sent at `now` by our clock; the provider stamps the job 30 s earlier by its own.
  const made = await provider.createJob({ model: 'sora', prompt, size: '480x480', seconds: 5, variants: 1 });
  await claims.writeIntent('inst-skewed', {
    provider: 'azure-openai',
    model: 'sora',
    startedAt: now,
    sentAt: now,
  });
  const result = await activities.createVideoJob({ instanceId: 'inst-skewed', request: jobsRequest(prompt) });
  assert.ok(result.ok && result.adopted, JSON.stringify(result));
  assert.equal(
    result.ok && result.job.jobId,
    made.jobId,
    'the job the lost create made: no second job billed',
  );
});

test('claims, intents, cancel marks and blobs belong to one run of an instance id', async () => {
  const claims = new JobClaims(async () => container);
  const activities = createActivities({
    providers: providersOn(emulator),
    container: async () => container,
    claims,
  });
  // A job claimed by one run is not the next run's, nor the run-less instance's.
  assert.equal(await claims.claimJob('azure-openai', 'task_runs', 'inst-runs', 'run1'), true);
  assert.equal(
    await claims.claimJob('azure-openai', 'task_runs', 'inst-runs', 'run1'),
    true,
    'still its own',
  );
  assert.equal(await claims.claimJob('azure-openai', 'task_runs', 'inst-runs', 'run2'), false);
  assert.equal(await claims.claimJob('azure-openai', 'task_runs', 'inst-runs'), false);
  await claims.writeIntent(
    'inst-runs',
    { provider: 'azure-openai', model: 'sora', startedAt: 1, jobId: 'task_runs' },
    'run1',
  );
  assert.equal((await claims.readIntent('inst-runs', 'run1'))?.jobId, 'task_runs');
  assert.equal(await claims.readIntent('inst-runs', 'run2'), undefined, 'the next run finds no intent');
  await claims.markCancelled('inst-runs', 'run1');
  assert.equal(await claims.isCancelled('inst-runs', 'run1'), true);
  assert.equal(await claims.isCancelled('inst-runs', 'run2'), false, 'the next run is not cancelled');
  // A failed run's cleanup deletes its own blobs only.
  for (const name of ['inst-runs/run1/gen_a.mp4', 'inst-runs/run2/gen_a.mp4'])
    await container.getBlockBlobClient(name).upload('x', 1);
  const cleaned = await activities.cancelVideoJob({
    provider: 'azure-openai',
    model: 'sora',
    jobId: 'task_gone',
    instanceId: 'inst-runs',
    runId: 'run1',
  });
  assert.equal(cleaned.blobsDeleted, 1);
  assert.deepEqual(await names('inst-runs/'), ['inst-runs/run2/gen_a.mp4']);
});
