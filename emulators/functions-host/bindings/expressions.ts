// Binding expressions in binding settings (`path: 'backups/{backupPath}'`, `queueName:
// '%QUEUE%'`): %AppSetting% from the environment, {name} from the trigger's binding data
// (route parameters, query, a JSON body's or an activity input's properties, queue and blob
// trigger metadata), {a.b} for nested properties, {rand-guid} and {DateTime}. A name with no
// value fails the invocation, as on Azure.
import { randomUUID } from 'node:crypto';

export type BindingData = Record<string, unknown>;

export function resolveSettings(text: string, env: Record<string, string | undefined> = process.env): string {
  return text.replace(/%([^%]+)%/g, (_, setting: string) => {
    const value = env[setting];
    if (value === undefined)
      throw new Error(`The app setting '${setting}' (used as %${setting}% in a binding) is not set.`);
    return value;
  });
}

function lookup(data: BindingData, path: string): unknown {
  let current: unknown = data;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    const record = current as Record<string, unknown>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === part.toLowerCase());
    current = key === undefined ? undefined : record[key];
  }
  return current;
}

export function resolveExpression(
  text: string,
  data: BindingData,
  env: Record<string, string | undefined> = process.env,
): string {
  return resolveSettings(text, env).replace(/\{([^{}]+)\}/g, (_, name: string) => {
    if (name.toLowerCase() === 'rand-guid') return randomUUID();
    if (name.toLowerCase() === 'datetime')
      return new Date()
        .toISOString()
        .replace(/:/g, '-')
        .replace(/\.\d{3}Z$/, 'Z');
    const value = lookup(data, name);
    if (value === undefined || value === null)
      throw new Error(`No value for named parameter '${name}' (binding expression '${text}').`);
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/** The properties of a JSON object (string or parsed), or nothing. */
export function objectProperties(value: unknown): BindingData {
  let parsed = value;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      parsed = JSON.parse(String(value));
    } catch {
      return {};
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as BindingData)
    : {};
}
