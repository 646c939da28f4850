// Reads GET /api/videos/{id} through the API's own types (imported from src/ as types only,
// so the CLI and the app cannot drift apart on field names), into what the CLI acts on.
import type { VideoStatus } from '../src/status/video-status.js';

export interface VideoLink {
  url: string;
  blobName: string;
  bytes: number;
  contentType: string;
}

export type Outcome = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobView {
  outcome: Outcome;
  phase: VideoStatus['phase'];
  provider?: string;
  upstreamStatus?: string;
  progress?: number;
  queuePosition?: number;
  /** Waiting in the provider account's line (admission control). */
  admission?: VideoStatus['admission'];
  failureReason?: string;
  videos: VideoLink[];
}

/** Thrown for an answer that is not a status view (another app on that URL, a proxy page). */
export class UnexpectedStatusError extends Error {}

function isStatusView(body: unknown): body is VideoStatus {
  const view = body as Partial<VideoStatus> | null;
  return (
    typeof view === 'object' &&
    view !== null &&
    typeof view.phase === 'string' &&
    typeof view.upstream === 'object' &&
    view.upstream !== null
  );
}

const OUTCOMES: Partial<Record<VideoStatus['phase'], Outcome>> = {
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function readJobStatus(body: unknown): JobView {
  if (!isStatusView(body))
    throw new UnexpectedStatusError(
      `the app answered with something that is not a video status: ${JSON.stringify(body)?.slice(0, 200)}`,
    );
  const outcome = OUTCOMES[body.phase] ?? 'running';
  return {
    outcome,
    phase: body.phase,
    provider: body.upstream.provider,
    upstreamStatus: body.upstream.status,
    progress: body.upstream.progress,
    queuePosition: body.upstream.queuePosition,
    admission: body.admission,
    failureReason: outcome === 'failed' || outcome === 'cancelled' ? body.error : undefined,
    videos: (body.videos ?? []).flatMap((video) =>
      video.url
        ? [{ url: video.url, blobName: video.blobName, bytes: video.bytes, contentType: video.contentType }]
        : [],
    ),
  };
}
