// RFC 9457 problem details: every 4xx/5xx of the videos API says what is wrong, in JSON.
import type { HttpResponseInit } from '@azure/functions';
import type { FieldProblem } from '../requests/video-request.js';

export function problem(
  status: number,
  title: string,
  detail: string,
  errors?: FieldProblem[],
  headers: Record<string, string> = {},
  /** A problem type of its own (a URI) and its extension members. */
  extension: { type?: string } & Record<string, unknown> = {},
): HttpResponseInit {
  const { type = 'about:blank', ...members } = extension;
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify({ type, title, status, detail, ...(errors ? { errors } : {}), ...members }),
  };
}
