// One HTTP call as the suites see it: status, headers, the raw text and its JSON if any.
// Answers from the app (an origin registered with openapi-check.ts) are checked against its
// /api/openapi.json on the way, so every suite's every call also tests the document.
import assert from 'node:assert/strict';
import { checkAnswer } from './openapi-check.js';
export interface Answer {
  status: number;
  headers: Headers;
  body: any; // JSON of any shape, checked by each test
  text: string;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const answer = { status: response.status, headers: response.headers, body, text };
  await checkAnswer(url, init.method ?? 'GET', answer);
  return answer;
}

/** The provider emulator's /_admin API at `emulatorUrl` (faults, config, stats, jobs): each call
 * must succeed, and gives the answer's JSON. */
export function emulatorAdminAt(emulatorUrl: string) {
  return async (method: string, path: string, value?: unknown) => {
    const answer = await call(`${emulatorUrl}/_admin/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: value === undefined ? undefined : JSON.stringify(value),
    });
    assert.ok(answer.status < 300, answer.text);
    return answer.body;
  };
}
