// Durable HTTP (context.df.callHttp): the host makes the request as the Durable extension's
// built-in HTTP activity does and records it as a task ("BuiltIn::HttpActivity") whose result
// is the response {statusCode, content, headers}. With polling on (the SDK's default), a 202
// that carries a Location header is followed as the extension does: a durable timer for
// Retry-After seconds (or the default the SDK was given), then a GET of the Location (without
// content or x-functions-key), until the answer is not such a 202. The SDK numbers that timer
// and poll while it reads the 202, so the host reserves the same two ids at that moment.
// tokenSource (a managed identity token) is refused with a clear task failure.
import { EventType, isoNow, type InboxMessage } from './model.js';

export const HTTP_ACTIVITY = 'BuiltIn::HttpActivity';
/** What the host tells the SDK as defaultHttpAsyncRequestSleepTimeMillseconds. */
export const DEFAULT_POLL_MS = 30_000;

export interface DurableHttpRequestWire {
  method?: string;
  uri: string;
  content?: string;
  headers?: Record<string, string>;
  tokenSource?: unknown;
  asynchronousPatternEnabled?: boolean;
}

interface DurableHttpResponseWire {
  statusCode: number;
  content: string;
  headers: Record<string, string>;
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers![key];
}

/** Runs one request; the completion event the orchestration gets. */
export async function executeHttpCall(inputJson: string, taskId: number): Promise<InboxMessage['event']> {
  const failed = (message: string) => ({
    EventType: EventType.TaskFailed,
    Timestamp: isoNow(),
    TaskScheduledId: taskId,
    Reason: message,
    Details: message,
  });
  let request: DurableHttpRequestWire;
  try {
    request = JSON.parse(inputJson) as DurableHttpRequestWire;
  } catch {
    return failed('The durable HTTP request is not valid JSON.');
  }
  if (request.tokenSource) {
    return failed(
      `callHttp with a tokenSource (managed identity token for ${JSON.stringify(request.tokenSource)}) is not supported by this host (emulators/functions-host): it has no identity to get tokens from. Send the Authorization header yourself, or call from an activity.`,
    );
  }
  const method = (request.method ?? 'GET').toUpperCase();
  try {
    const response = await fetch(request.uri, {
      method,
      headers: request.headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : request.content,
      redirect: 'manual',
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      // The extension reports header names as the server sent them; fetch lower-cases them, and
      // the SDK looks Location and Retry-After up without regard to case.
      headers[key] = value;
    });
    const result: DurableHttpResponseWire = {
      statusCode: response.status,
      content: await response.text(),
      headers,
    };
    return {
      EventType: EventType.TaskCompleted,
      Timestamp: isoNow(),
      TaskScheduledId: taskId,
      Result: JSON.stringify(result),
    };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return failed(
      `The durable HTTP request ${method} ${request.uri} failed: ${(error as Error).message}${cause ? ` (${cause})` : ''}`,
    );
  }
}

/** When a response asks to be polled (202 + Location): how long to wait and what to GET then. */
export function pollAfter(
  resultJson: string | undefined,
  requestJson: string | undefined,
): { delayMs: number; pollInput: string } | undefined {
  if (!resultJson || !requestJson) return undefined;
  let result: DurableHttpResponseWire;
  let request: DurableHttpRequestWire;
  try {
    result = JSON.parse(resultJson) as DurableHttpResponseWire;
    request = JSON.parse(requestJson) as DurableHttpRequestWire;
  } catch {
    return undefined;
  }
  const location = header(result.headers, 'Location');
  if (result.statusCode !== 202 || !location) return undefined;
  const retryAfter = Number(header(result.headers, 'Retry-After'));
  const headers = { ...(request.headers ?? {}) };
  for (const key of Object.keys(headers)) if (key.toLowerCase() === 'x-functions-key') delete headers[key];
  return {
    delayMs:
      Number.isFinite(retryAfter) && header(result.headers, 'Retry-After') !== undefined
        ? retryAfter * 1000
        : DEFAULT_POLL_MS,
    pollInput: JSON.stringify({
      method: 'GET',
      uri: new URL(location, request.uri).href,
      headers,
      asynchronousPatternEnabled: true,
    }),
  };
}
