// Shared by the Functions host suites: start the host on a fixture app and follow
// orchestrations through the public management API, over HTTP only.
import assert from 'node:assert/strict';
import path from 'node:path';
import { startHost, type RunningHost, type StartHostOptions } from '../../emulators/functions-host/index.js';
import { call, type Answer } from '../support/http.js';
import { eventually } from '../support/eventually.js';

export { call, type Answer };

export const fixtureApp = path.resolve(__dirname, '..', 'fixtures', 'durable-apps', 'conformance');

export async function startFixtureHost(options: Partial<StartHostOptions> = {}): Promise<RunningHost> {
  return startHost({ appDir: fixtureApp, port: 0, store: 'memory', quiet: true, ...options });
}

/** Starts an orchestration through the public API: POST orchestrators/{name}[/{id}]. */
export async function start(
  host: RunningHost,
  name: string,
  input?: unknown,
  instanceId?: string,
): Promise<{ id: string; statusQueryGetUri: string; answer: Answer }> {
  const url = `${host.url}/runtime/webhooks/durabletask/orchestrators/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ''}`;
  const answer = await call(url, {
    method: 'POST',
    body: input === undefined ? '' : JSON.stringify(input),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(answer.status, 202, `starting ${name}: ${answer.text}`);
  return { id: answer.body.id, statusQueryGetUri: answer.body.statusQueryGetUri, answer };
}

const finished = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** Reads the instance's status URL until `until` holds (default: a finished instance). */
export async function waitForInstance(
  statusUrl: string,
  until: (body: any) => boolean = (b) => finished.has(b?.runtimeStatus),
  timeoutMs = 20_000,
): Promise<any> {
  const answer = await eventually(
    `the instance at ${statusUrl}`,
    () => call(statusUrl),
    (last) => (last.status < 300 || last.status === 500) && until(last.body),
    { timeoutMs, everyMs: 25 },
  );
  return answer.body;
}

export function instanceUrl(host: RunningHost, id: string, suffix = ''): string {
  return `${host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}${suffix}`;
}

/** Runs an orchestration to its end and returns the final status body (with history). */
export async function run(
  host: RunningHost,
  name: string,
  input?: unknown,
  instanceId?: string,
): Promise<any> {
  const { id } = await start(host, name, input, instanceId);
  await waitForInstance(instanceUrl(host, id));
  return (await call(instanceUrl(host, id, '?showHistory=true&showHistoryOutput=true'))).body;
}

/** History entries of one EventType from a showHistory status body. */
export function eventsOf(status: { historyEvents: { EventType: string }[] }, type: string): any[] {
  return status.historyEvents.filter((e) => e.EventType === type);
}
