// What this host can serve, decided once at start-up. A function whose trigger or binding is
// not served is listed with "not supported by this host" and every invocation fails with
// that reason: never a trigger that silently never fires or an output that is dropped.
// func itself refuses unknown binding types at start-up ("The binding type(s) … are not
// registered"); this is the same rule with this host's smaller list.
import type { RegisteredFunction, RpcBindingInfo } from '../core-api.js';
import { resolveStorage } from './connection.js';

export const SUPPORTED_TRIGGERS = [
  'httpTrigger',
  'orchestrationTrigger',
  'activityTrigger',
  'entityTrigger',
  'timerTrigger',
  'queueTrigger',
  'blobTrigger',
];
export const SUPPORTED_INPUTS = ['durableClient', 'orchestrationClient', 'blob', 'table'];
export const SUPPORTED_OUTPUTS = ['http', 'blob', 'queue', 'table'];

const STORAGE_TYPES = new Set(['blob', 'table', 'queue', 'queueTrigger', 'blobTrigger']);

function has(list: string[], type: string): boolean {
  return list.some((t) => t.toLowerCase() === type.toLowerCase());
}

/** Why this host cannot serve `fn`, or undefined when it can. */
export function refusalReason(
  fn: RegisteredFunction,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const problems: string[] = [];
  for (const [name, binding] of Object.entries(fn.metadata.bindings) as [string, RpcBindingInfo][]) {
    const type = String(binding.type ?? '');
    const direction = binding.direction ?? 'in';
    const isTrigger = type.toLowerCase().endsWith('trigger');
    if (isTrigger) {
      if (!has(SUPPORTED_TRIGGERS, type)) problems.push(`trigger type '${type}'`);
    } else if (direction === 'out') {
      if (!has(SUPPORTED_OUTPUTS, type)) problems.push(`output binding '${name}' of type '${type}'`);
    } else if (!has(SUPPORTED_INPUTS, type)) {
      problems.push(`input binding '${name}' of type '${type}'`);
    }
    if (
      binding.sdkBinding === true ||
      (binding.properties as Record<string, unknown> | undefined)?.supportsDeferredBinding === 'True'
    ) {
      problems.push(`SDK-type binding '${name}' (client objects from @azure/functions-extensions-*)`);
    }
    if (STORAGE_TYPES.has(type)) {
      try {
        resolveStorage(binding.connection as string | undefined, env);
      } catch (error) {
        problems.push(`'${name}': ${(error as Error).message.replace(/\.$/, '')}`);
      }
    }
  }
  if (problems.length === 0) return undefined;
  return `The function '${fn.metadata.name}' is not supported by this host (emulators/functions-host): ${problems.join('; ')}. See emulators/functions-host/README.md for what it serves.`;
}
