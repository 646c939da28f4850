// Checks every answer the app gives the suites against the app's own /api/openapi.json: the
// status must be one the operation documents, with the documented content type, and the body
// must validate against its schema. A route the document does not describe may not succeed
// (a 2xx there means the document is missing a route). Used by test/support/http.ts `call`
// for every origin registered as the app (pipeline-stack.ts registers the host it starts).
//
// ajv, not zod: the point is to check the *document* the app serves (what callers and code
// generators read), not the schemas it was generated from.
import assert from 'node:assert/strict';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';

type JsonObject = Record<string, any>;

interface Operation {
  pattern: RegExp;
  method: string;
  /** status → content type → validator (undefined: any body of that type). */
  responses: Map<string, Map<string, ValidateFunction | undefined>>;
}

interface Checker {
  operations: Operation[];
}

const apps = new Map<string, Promise<Checker>>();

/** Marks `baseUrl` (e.g. http://127.0.0.1:7071) as the app: its /api/ answers are checked from now on. */
export function registerApp(baseUrl: string, headers: Record<string, string> = {}): void {
  const origin = new URL(baseUrl).origin;
  if (!apps.has(origin)) apps.set(origin, loadChecker(origin, headers));
}

export function unregisterApp(baseUrl: string): void {
  apps.delete(new URL(baseUrl).origin);
}

/** Builds validators for every response the document describes. */
export function compileDocument(document: JsonObject): Checker {
  assert.equal(document.openapi, '3.1.0', 'an OpenAPI 3.1 document');
  // OpenAPI's #/components/schemas/X refs, made resolvable by a plain JSON Schema validator:
  // the components become the $defs of one schema that every response schema refers into.
  const rebase = (schema: unknown) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/$defs/'));
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  // The two formats the document uses; a wrong value is a failure, an unknown format a compile error.
  ajv.addFormat(
    'date-time',
    (value: string) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value),
  );
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  const defs: JsonObject = {};
  for (const [id, schema] of Object.entries(document.components?.schemas ?? {})) defs[id] = rebase(schema);
  ajv.addSchema({ $id: 'components', $defs: defs });

  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, JsonObject>)) {
    // /api/videos/{id} → ^/api/videos/[^/]+$ (dots escaped: /api/openapi.json is literal).
    const pattern = new RegExp(`^${path.replaceAll('.', '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const operation = item[method] as JsonObject | undefined;
      if (!operation) continue;
      const responses = new Map<string, Map<string, ValidateFunction | undefined>>();
      for (const [status, response] of Object.entries(operation.responses as Record<string, JsonObject>)) {
        const types = new Map<string, ValidateFunction | undefined>();
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, JsonObject>)) {
          types.set(
            type,
            type.endsWith('json') && media.schema ? ajv.compile(rebase(media.schema)) : undefined,
          );
        }
        responses.set(status, types);
      }
      operations.push({ pattern, method: method.toUpperCase(), responses });
    }
  }
  return { operations };
}

async function loadChecker(origin: string, headers: Record<string, string>): Promise<Checker> {
  const response = await fetch(`${origin}/api/openapi.json`, { headers });
  assert.equal(response.status, 200, `GET ${origin}/api/openapi.json`);
  return compileDocument((await response.json()) as JsonObject);
}

export interface SeenAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** Throws (an assertion error naming the call) when the answer breaks the document. */
export function checkAgainst(checker: Checker, method: string, pathname: string, answer: SeenAnswer): void {
  const what = `${method} ${pathname} → ${answer.status}`;
  const operation = checker.operations.find((op) => op.method === method && op.pattern.test(pathname));
  if (!operation) {
    assert.ok(
      answer.status >= 300,
      `${what}: a route /api/openapi.json does not describe answered ${answer.status}: ${answer.text.slice(0, 300)}`,
    );
    return;
  }
  const types = operation.responses.get(String(answer.status));
  assert.ok(
    types,
    `${what}: status ${answer.status} is not documented for this operation (documented: ${[...operation.responses.keys()].join(', ')}): ${answer.text.slice(0, 300)}`,
  );
  const type = (answer.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (types.size === 0) return;
  assert.ok(
    types.has(type),
    `${what}: content-type '${type}' is not documented (documented: ${[...types.keys()].join(', ')})`,
  );
  const validate = types.get(type);
  if (!validate) return;
  assert.ok(
    answer.body !== undefined,
    `${what}: documented as ${type} but the body is not JSON: ${answer.text.slice(0, 300)}`,
  );
  if (!validate(answer.body)) {
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
    assert.fail(
      `${what}: the body does not match /api/openapi.json:\n  ${errors.join('\n  ')}\nbody: ${answer.text.slice(0, 1000)}`,
    );
  }
}

/** Checks an answer when its URL is one of a registered app's API routes; other URLs pass through. */
export async function checkAnswer(url: string, method: string, answer: SeenAnswer): Promise<void> {
  const parsed = new URL(url);
  const checker = apps.get(parsed.origin);
  if (!checker || !parsed.pathname.startsWith('/api/')) return;
  checkAgainst(await checker, method.toUpperCase(), parsed.pathname, answer);
}
