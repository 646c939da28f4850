// Reads the app's status JSON into one shape the CLI can act on.
// Two sources answer "how is my video doing": the friendly GET /api/videos/{id} and, as a
// fallback, the durable statusQueryGetUri payload (runtimeStatus/customStatus/output).
// Both are read defensively: a deployment of another version must not crash the CLI.

export interface VideoLink {
  url: string;
  blobName?: string;
  size?: number;
  contentType?: string;
}

export type Outcome = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobView {
  outcome: Outcome;
  phase?: string;
  soraStatus?: string;
  progress?: number;
  failureReason?: string;
  videos: VideoLink[];
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

function firstString(sources: (Json | undefined)[], keys: string[]): string | undefined {
  for (const source of sources) for (const key of keys) {
    const found = asString(source?.[key]);
    if (found) return found;
  }
  return undefined;
}

function reasonOf(sources: (Json | undefined)[]): string | undefined {
  for (const source of sources) {
    if (!source) continue;
    for (const key of ['failureReason', 'failure_reason', 'reason', 'error', 'message', 'detail']) {
      const value = source[key];
      if (typeof value === 'string' && value) return value;
      const nested = asObject(value);
      if (nested) {
        const text = asString(nested.message) ?? asString(nested.detail) ?? asString(nested.code);
        if (text) return asString(nested.code) && text !== nested.code ? `${nested.code}: ${text}` : text;
      }
    }
  }
  return undefined;
}

function videosOf(sources: (Json | undefined)[]): VideoLink[] {
  for (const source of sources) {
    const list = source?.videos ?? source?.blobs;
    if (!Array.isArray(list)) continue;
    return list.flatMap((item): VideoLink[] => {
      const video = asObject(item);
      const url = asString(video?.url) ?? asString(video?.readUrl) ?? asString(video?.sasUrl);
      if (!video || !url) return [];
      return [{
        url,
        blobName: asString(video.blobName) ?? asString(video.name) ?? asString(video.blob),
        size: asNumber(video.bytes) ?? asNumber(video.size) ?? asNumber(video.sizeBytes) ?? asNumber(video.contentLength),
        contentType: asString(video.contentType),
      }];
    });
  }
  return [];
}

const SUCCEEDED = new Set(['completed', 'succeeded', 'done', 'success']);
const FAILED = new Set(['failed', 'terminated', 'error']);
const CANCELLED = new Set(['cancelled', 'canceled']);

export function readJobStatus(body: unknown): JobView {
  const root = asObject(body) ?? {};
  const custom = asObject(root.customStatus);
  const output = asObject(root.output);
  const sources = [root, asObject(root.status), output, custom];
  const runtime = (asString(root.runtimeStatus) ?? '').toLowerCase();
  const phase = firstString([root, custom, output], ['phase', 'stage']);
  const soraStatus = firstString([root, custom], ['soraStatus', 'jobStatus']) ?? asString(custom?.status);
  const progress = asNumber(root.progress) ?? asNumber(custom?.progress);
  const videos = videosOf(sources);

  const states = [phase, runtime, asString(root.status), asString(output?.status)]
    .filter((s): s is string => !!s).map((s) => s.toLowerCase());
  let outcome: Outcome = 'running';
  if (states.some((s) => CANCELLED.has(s))) outcome = 'cancelled';
  else if (states.some((s) => FAILED.has(s))) outcome = 'failed';
  else if (states.some((s) => SUCCEEDED.has(s)) && (videos.length > 0 || runtime === 'completed')) outcome = 'succeeded';

  return {
    outcome,
    phase,
    soraStatus,
    progress,
    failureReason: outcome === 'running' || outcome === 'succeeded' ? undefined : reasonOf([root, output, custom]),
    videos,
  };
}
