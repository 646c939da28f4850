// What the host does when an episode (or an entity batch) throws, which in practice means
// storage refused or dropped a write (see README, "Durability"): a refusal that would recur
// fails the instance at once with storage's reason; storage that is unreachable or busy is
// waited out; an error that is not storage's (a host bug) gets a few tries.

/** Waits before a failed episode runs again: then every 30 s while storage stays unreachable. */
const COMMIT_RETRY_DELAYS_MS = [250, 1000, 3000, 6000];
const COMMIT_RETRY_MAX_MS = 30_000;
/** Failed episodes (not storage's fault) before the instance is failed. */
const MAX_NON_STORAGE_FAILURES = COMMIT_RETRY_DELAYS_MS.length + 1;
/** How often storage is tried again while it cannot even be read. */
export const STORAGE_RECHECK_MS = COMMIT_RETRY_MAX_MS / 10;

/** A storage error's own words (status and code when the SDK gives them). */
export function storageReason(error: unknown): string {
  const e = error as {
    statusCode?: number;
    code?: string;
    message?: string;
    details?: { odataError?: { code?: string; message?: { value?: string } } };
  };
  const odata = e.details?.odataError;
  const message = odata?.message?.value?.split('\n')[0] ?? e.message ?? String(error);
  const code = odata?.code || e.code;
  // An error with neither an HTTP status nor a code did not come from storage: say so.
  if (e.statusCode === undefined && !code)
    return `the host failed while running the episode: ${(error as Error).stack ?? message}`;
  return `its progress could not be saved to storage: ${e.statusCode ? `HTTP ${e.statusCode} ` : ''}${code ? `${code}: ` : ''}${message}`;
}

/** Whether an error came from talking to storage (an HTTP status, or a network error code). */
function isStorageError(error: unknown): boolean {
  const e = error as { statusCode?: number; code?: string };
  return e.statusCode !== undefined || typeof e.code === 'string';
}

/** A refusal that the same write would meet again (a 4xx other than throttling, timeouts and conflicts). */
export function isPermanent(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status !== undefined && status >= 400 && status < 500 && ![408, 409, 412, 429].includes(status);
}

export type AfterFailure = { fail: true; reason: string } | { fail: false; delayMs: number; reason: string };

/** What to do after the `failures`-th failed episode in a row of one instance. */
export function afterEpisodeFailure(error: unknown, failures: number): AfterFailure {
  const reason = storageReason(error);
  if (isPermanent(error) || (!isStorageError(error) && failures >= MAX_NON_STORAGE_FAILURES))
    return { fail: true, reason };
  return { fail: false, delayMs: COMMIT_RETRY_DELAYS_MS[failures - 1] ?? COMMIT_RETRY_MAX_MS, reason };
}
