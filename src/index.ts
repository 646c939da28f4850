// Entry point of the Functions app (package.json "main"): one place that loads every registration.
// Settings are validated here, at start-up: a missing or invalid one stops the app with a
// message naming each problem, instead of failing the first request.
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { createAppContext } from './app-context.js';
import { createCallbacksApi } from './functions/callbacks-api.js';
import { createGallery } from './functions/gallery.js';
import { createOpenApi } from './functions/openapi-api.js';
import { createProvidersApi } from './functions/providers-api.js';
import { createUsageApi } from './functions/usage-api.js';
import { createVideosList } from './functions/videos-list.js';
import { createVideosApi } from './functions/videos-api.js';
import { createUploadsApi } from './functions/uploads-api.js';
import { createExpireUploads } from './functions/expire-uploads-timer.js';
import { admissionEntity } from './admission/admission-entity.js';
import { wakeAdmissionWaiters } from './activities/admission-activities.js';
import {
  ADMISSION_ENTITY,
  activityNames,
  DELIVER_CALLBACK,
  GENERATE_VIDEO,
} from './orchestrations/contracts.js';
import { deliverCallback } from './orchestrations/deliver-callback.js';
import { generateVideo } from './orchestrations/generate-video.js';

// Requests stream: each route reads a body only up to its own limit (functions/read-body.ts).
app.setup({ enableHttpStream: true });

const context = createAppContext();
const api = createVideosApi({
  config: () => context.config,
  providers: () => context.providers,
  claims: () => context.claims,
  signer: () => context.signer,
  uploads: () => context.uploads,
});
const providersApi = createProvidersApi({
  providers: () => context.providers,
  durations: () => context.durations,
});
const videosList = createVideosList({ config: () => context.config, signer: () => context.signer });
const openApi = createOpenApi({
  publicBaseUrl: () => context.config.publicBaseUrl,
  providerNames: () => context.providers.list().map((provider) => provider.name),
});
const gallery = createGallery();
const usageApi = createUsageApi({ config: () => context.config, providers: () => context.providers });
const uploadsApi = createUploadsApi({
  uploads: () => context.uploads,
  ttlHours: () => context.config.uploadTtlHours,
});
const expireUploadsTimer = createExpireUploads({
  uploads: () => context.uploads,
  ttlHours: () => context.config.uploadTtlHours,
});
const callbacksApi = createCallbacksApi({ providers: () => context.providers, claims: () => context.claims });

df.app.orchestration(GENERATE_VIDEO, generateVideo);
df.app.orchestration(DELIVER_CALLBACK, deliverCallback);
df.app.entity(ADMISSION_ENTITY, admissionEntity);
df.app.activity(activityNames.createVideoJob, { handler: context.activities.createVideoJob });
df.app.activity(activityNames.getVideoJobStatus, { handler: context.activities.getVideoJobStatus });
df.app.activity(activityNames.downloadVideo, { handler: context.activities.downloadVideo });
df.app.activity(activityNames.cancelVideoJob, { handler: context.activities.cancelVideoJob });
df.app.activity(activityNames.holdUpload, { handler: context.activities.holdUpload });
df.app.activity(activityNames.readJobDurations, { handler: context.durationActivities.readJobDurations });
df.app.activity(activityNames.recordJobDuration, { handler: context.durationActivities.recordJobDuration });
df.app.activity(activityNames.scheduleCallback, {
  extraInputs: [df.input.durableClient()],
  handler: context.callbackActivities.scheduleCallback,
});
df.app.activity(activityNames.sendCallback, { handler: context.callbackActivities.sendCallback });
df.app.activity(activityNames.wakeAdmissionWaiters, {
  extraInputs: [df.input.durableClient()],
  handler: wakeAdmissionWaiters,
});

const durableClient = df.input.durableClient();
app.http('videosStart', {
  route: 'videos',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [durableClient],
  handler: api.startVideo,
});
app.http('videosStatus', {
  route: 'videos/{id}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [durableClient],
  handler: api.getVideo,
});
// A start image for image-to-video requests (the bytes are never served back: functions/uploads-api.ts).
app.http('uploadsCreate', {
  route: 'uploads',
  methods: ['POST'],
  authLevel: 'function',
  handler: uploadsApi.upload,
});
// Deletes expired uploads; a request holding one has moved its expiry (uploads/upload-blobs.ts).
app.timer('expireUploads', {
  schedule: context.config.uploadSweepSchedule,
  handler: expireUploadsTimer.run,
});
app.http('providersList', {
  route: 'providers',
  methods: ['GET'],
  authLevel: 'function',
  handler: providersApi.listProviders,
});
// Anonymous: providers cannot hold function keys. The handler verifies each webhook's signature
// before it touches anything (infra keeps every other route at authLevel function).
app.http('providerCallback', {
  route: 'callbacks/{provider}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [durableClient],
  handler: callbacksApi.receive,
});
app.http('videosDelete', {
  route: 'videos/{id}',
  methods: ['DELETE'],
  authLevel: 'function',
  extraInputs: [durableClient],
  handler: api.deleteVideo,
});
app.http('videosList', {
  route: 'videos',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [durableClient],
  handler: videosList.listVideos,
});
app.http('usage', {
  route: 'usage',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [durableClient],
  handler: usageApi.getUsage,
});
app.http('openApi', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'function',
  handler: openApi.getOpenApi,
});
// Anonymous: the page holds no data and a browser cannot send a header when it navigates; the
// page asks for the function key and sends it on every API call it makes.
app.http('gallery', { route: 'gallery', methods: ['GET'], authLevel: 'anonymous', handler: gallery.page });
