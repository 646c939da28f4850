// Provider instances as settings: any number of named instances, each a kind plus its fields,
// in the `__` nesting Azure app settings and Key Vault references handle:
//   VIDEO_PROVIDERS__<name>__KIND=openai-videos
//   VIDEO_PROVIDERS__<name>__BASE_URL=https://openrouter.ai/api/v1
//   VIDEO_PROVIDERS__<name>__API_KEY=@Microsoft.KeyVault(SecretUri=…)
// Today's flat settings (OPENAI_API_KEY, FAL_KEY, …) are shorthand for the instances named in
// SHORTHANDS; `__` fields of the same name add to or override what the shorthand gives. Every
// problem is returned with the setting that caused it, never with a secret's value.
import { LIMIT_FIELDS, parseLimit, type AdmissionOverrides } from './admission/limit-settings.js';
import type { ModelsSetting } from './model-settings.js';
import { parseModelsSetting } from './model-settings.js';
import { isLoopbackAddress } from './net/address-rule.js';

export const providerKinds = ['azure-openai', 'openai-videos', 'fal', 'replicate', 'ai-sdk'] as const;
export type ProviderKindName = (typeof providerKinds)[number];

/** The AI SDK provider packages the `ai-sdk` kind can load (each pinned in package.json). */
export const aiSdkPackages = [
  '@ai-sdk/google',
  '@ai-sdk/xai',
  '@ai-sdk/gateway',
  '@ai-sdk/fal',
  '@ai-sdk/replicate',
] as const;
export type AiSdkPackage = (typeof aiSdkPackages)[number];

/** An Azure OpenAI resource's Sora deployments: an api-key, or else the managed identity. */
export interface AzureOpenAiSettings {
  /** `https://<resource>.openai.azure.com` (no /openai suffix). */
  endpoint: string;
  apiKey?: string;
  managedIdentityClientId?: string;
  jobsDeployment: string;
  videosDeployment: string;
}

export interface OpenAiVideosSettings {
  /** e.g. https://api.openai.com/v1 */
  baseUrl: string;
  apiKey: string;
}

export interface FalSettings {
  /** https://queue.fal.run, or the emulator's /fal. */
  queueUrl: string;
  apiKey: string;
  /** fal's public webhook keys (the app always sets one); absent: no webhooks are verified or registered. */
  jwksUrl?: string;
}

export interface ReplicateSettings {
  /** https://api.replicate.com/v1, or the emulator's /replicate/v1. */
  baseUrl: string;
  apiToken: string;
  /** `whsec_…`; absent: fetched from GET /webhooks/default/secret when the first webhook arrives. */
  webhookSecret?: string;
}

export interface AiSdkSettings {
  /** The AI SDK provider package whose video models this instance drives. */
  package: AiSdkPackage;
  apiKey: string;
  /** The package's `baseURL` option; absent: the vendor's public API. */
  baseUrl?: string;
}

interface Common {
  /** Lower-case; what callers name in `provider`. */
  name: string;
  /** Models added to (or replacing) the kind's built-in table, from the MODELS field. */
  models?: ModelsSetting;
  /** The admission settings it sets (MAX_RUNNING_JOBS, CREATES_PER_MINUTE, CREATE_BURST,
   * DAILY_BUDGET_USD); they override the flat <P>_… ones of a shorthand instance. */
  admission?: Partial<AdmissionOverrides>;
}
export type ProviderInstance = Common &
  (
    | { kind: 'azure-openai'; settings: AzureOpenAiSettings }
    | { kind: 'openai-videos'; settings: OpenAiVideosSettings }
    | { kind: 'fal'; settings: FalSettings }
    | { kind: 'replicate'; settings: ReplicateSettings }
    | { kind: 'ai-sdk'; settings: AiSdkSettings }
  );

type Env = Readonly<Record<string, string | undefined>>;

/** Each shorthand instance: the flat setting that configures it (its key, or Azure's endpoint),
 * its kind, and which flat setting fills which field. In default order. */
export const SHORTHANDS: ReadonlyArray<{
  name: string;
  kind: ProviderKindName;
  fields: Readonly<Record<string, string>>;
  fixed?: Readonly<Record<string, string>>;
}> = [
  {
    name: 'azure-openai',
    kind: 'azure-openai',
    fields: {
      BASE_URL: 'AZURE_OPENAI_ENDPOINT',
      API_KEY: 'AZURE_OPENAI_API_KEY',
      JOBS_DEPLOYMENT: 'SORA_JOBS_DEPLOYMENT',
      VIDEOS_DEPLOYMENT: 'SORA_VIDEOS_DEPLOYMENT',
    },
  },
  {
    name: 'openai',
    kind: 'openai-videos',
    fields: { API_KEY: 'OPENAI_API_KEY', BASE_URL: 'OPENAI_BASE_URL' },
  },
  {
    name: 'fal',
    kind: 'fal',
    fields: { API_KEY: 'FAL_KEY', BASE_URL: 'FAL_QUEUE_URL', JWKS_URL: 'FAL_JWKS_URL' },
  },
  {
    name: 'replicate',
    kind: 'replicate',
    fields: {
      API_KEY: 'REPLICATE_API_TOKEN',
      BASE_URL: 'REPLICATE_BASE_URL',
      WEBHOOK_SECRET: 'REPLICATE_WEBHOOK_SECRET',
    },
  },
  // The AI SDK packages' own key variables (their docs name them), so a key set for the SDK works here.
  {
    name: 'google',
    kind: 'ai-sdk',
    fields: { API_KEY: 'GOOGLE_GENERATIVE_AI_API_KEY' },
    fixed: { PACKAGE: '@ai-sdk/google' },
  },
  { name: 'xai', kind: 'ai-sdk', fields: { API_KEY: 'XAI_API_KEY' }, fixed: { PACKAGE: '@ai-sdk/xai' } },
  {
    name: 'gateway',
    kind: 'ai-sdk',
    fields: { API_KEY: 'AI_GATEWAY_API_KEY' },
    fixed: { PACKAGE: '@ai-sdk/gateway' },
  },
];

/** The field that configures a shorthand instance: Azure OpenAI's endpoint, otherwise the key. */
const switchField = (kind: ProviderKindName) => (kind === 'azure-openai' ? 'BASE_URL' : 'API_KEY');

const PREFIX = 'VIDEO_PROVIDERS__';
const NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
const FIELD = /^[A-Z][A-Z0-9_]*$/;

/** The fields each kind reads (besides KIND and MODELS, which every kind reads). */
const KIND_FIELDS: Record<ProviderKindName, readonly string[]> = {
  'azure-openai': ['BASE_URL', 'API_KEY', 'JOBS_DEPLOYMENT', 'VIDEOS_DEPLOYMENT'],
  'openai-videos': ['API_KEY', 'BASE_URL'],
  fal: ['API_KEY', 'BASE_URL', 'JWKS_URL'],
  replicate: ['API_KEY', 'BASE_URL', 'WEBHOOK_SECRET'],
  'ai-sdk': ['PACKAGE', 'API_KEY', 'BASE_URL'],
};

/** A field's value and the setting it came from (for messages). */
interface Raw {
  value: string;
  from: string;
}

/** The instance form's setting name for a field of an instance. */
export const instanceSetting = (name: string, field: string) => `${PREFIX}${name}__${field}`;

/** The raw fields of every instance the settings name, shorthand first, in default order. */
function collect(env: Env, problems: string[]): Map<string, Map<string, Raw>> {
  const instances = new Map<string, Map<string, Raw>>();
  const fieldsOf = (name: string) => {
    if (!instances.has(name)) instances.set(name, new Map());
    return instances.get(name)!;
  };
  for (const shorthand of SHORTHANDS) {
    const on = env[shorthand.fields[switchField(shorthand.kind)]]?.trim();
    if (!on) continue;
    const fields = fieldsOf(shorthand.name);
    fields.set('KIND', { value: shorthand.kind, from: shorthand.fields[switchField(shorthand.kind)] });
    for (const [field, value] of Object.entries(shorthand.fixed ?? {}))
      fields.set(field, { value, from: shorthand.fields[switchField(shorthand.kind)] });
    for (const [field, setting] of Object.entries(shorthand.fields)) {
      const value = env[setting]?.trim();
      if (value) fields.set(field, { value, from: setting });
    }
  }
  const named = Object.keys(env)
    .filter((key) => key.toUpperCase().startsWith(PREFIX))
    .sort();
  for (const key of named) {
    const value = env[key]?.trim();
    if (!value) continue;
    const [rawName, field, ...rest] = key.slice(PREFIX.length).split('__');
    const name = rawName?.toLowerCase() ?? '';
    if (!NAME.test(name) || field === undefined || rest.length > 0 || !FIELD.test(field.toUpperCase())) {
      problems.push(
        `${key} is not an instance setting: use ${PREFIX}<name>__<FIELD>, the name of lower-case letters, digits and single - or _`,
      );
      continue;
    }
    fieldsOf(name).set(field.toUpperCase(), { value, from: key });
  }
  return instances;
}

const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
/** Where the app sends a key or trusts what comes back (a provider, fal's keys): https, or
 * plain http to this machine only (the local emulator). */
function isHttpsOrLoopback(value: string): boolean {
  const url = new URL(value);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'https:' || /^localhost$/i.test(host) || isLoopbackAddress(host);
}
const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** One instance's fields, validated; undefined (with problems) when any is bad. */
function build(
  name: string,
  fields: Map<string, Raw>,
  problems: string[],
  managedIdentityClientId: string | undefined,
): ProviderInstance | undefined {
  const before = problems.length;
  const kindField = fields.get('KIND');
  if (!kindField) {
    const shorthand = SHORTHANDS.find((s) => s.name === name);
    problems.push(
      `${instanceSetting(name, 'KIND')} is required (one of ${providerKinds.join(', ')})` +
        (shorthand ? `, or set ${shorthand.fields[switchField(shorthand.kind)]}` : ''),
    );
    return undefined;
  }
  const kind = kindField.value as ProviderKindName;
  if (!providerKinds.includes(kind)) {
    problems.push(`${kindField.from} must be one of ${providerKinds.join(', ')}`);
    return undefined;
  }
  const known = new Set([
    'KIND',
    'MODELS',
    ...KIND_FIELDS[kind],
    ...LIMIT_FIELDS.map((limit) => limit.suffix),
  ]);
  for (const [field, raw] of fields)
    if (!known.has(field))
      problems.push(`${raw.from} is not a setting of kind ${kind} (it takes ${[...known].join(', ')})`);
  const text = (field: string) => fields.get(field)?.value;
  const required = (field: string, what = 'is required') => {
    const value = text(field);
    if (!value) problems.push(`${instanceSetting(name, field)} ${what}`);
    return value ?? '';
  };
  const url = (field: string, fallback?: string) => {
    const raw = fields.get(field);
    if (raw && !isHttpUrl(raw.value)) problems.push(`${raw.from} must be an http(s) URL`);
    else if (raw && !isHttpsOrLoopback(raw.value))
      problems.push(`${raw.from} must be https (plain http only to loopback)`);
    const value = raw?.value ?? fallback;
    return value === undefined ? undefined : withoutTrailingSlash(value);
  };
  const secret = fields.get('WEBHOOK_SECRET');
  // (The flat REPLICATE_WEBHOOK_SECRET is checked with the other flat settings: src/config.ts.)
  if (secret && secret.from.startsWith(PREFIX) && !/^whsec_[A-Za-z0-9+/=]+$/.test(secret.value))
    problems.push(`${secret.from} must be a whsec_… secret`);
  const modelsRaw = fields.get('MODELS');
  const models = modelsRaw ? parseModelsSetting(modelsRaw.from, modelsRaw.value, problems) : undefined;
  let instance: ProviderInstance;
  switch (kind) {
    case 'azure-openai':
      instance = {
        name,
        kind,
        settings: {
          endpoint: url('BASE_URL') ?? required('BASE_URL', 'is required (the resource endpoint)'),
          apiKey: text('API_KEY'),
          managedIdentityClientId,
          jobsDeployment: text('JOBS_DEPLOYMENT') ?? 'sora',
          videosDeployment: text('VIDEOS_DEPLOYMENT') ?? 'sora-2',
        },
      };
      break;
    case 'openai-videos':
      instance = {
        name,
        kind,
        settings: { apiKey: required('API_KEY'), baseUrl: url('BASE_URL', 'https://api.openai.com/v1')! },
      };
      break;
    case 'fal':
      instance = {
        name,
        kind,
        settings: {
          apiKey: required('API_KEY'),
          queueUrl: url('BASE_URL', 'https://queue.fal.run')!,
          // fal's docs name the alpha host, and rest.fal.ai is also in use
          // (docs/providers/fal.md#webhooks): hence a setting.
          jwksUrl: url('JWKS_URL', 'https://rest.alpha.fal.ai/.well-known/jwks.json'),
        },
      };
      break;
    case 'replicate':
      instance = {
        name,
        kind,
        settings: {
          apiToken: required('API_KEY'),
          baseUrl: url('BASE_URL', 'https://api.replicate.com/v1')!,
          webhookSecret: secret?.value,
        },
      };
      break;
    case 'ai-sdk': {
      const pkg = fields.get('PACKAGE');
      if (!pkg) required('PACKAGE', `is required (one of ${aiSdkPackages.join(', ')})`);
      else if (!(aiSdkPackages as readonly string[]).includes(pkg.value))
        problems.push(`${pkg.from} must be one of ${aiSdkPackages.join(', ')}`);
      instance = {
        name,
        kind,
        settings: {
          package: pkg?.value as AiSdkPackage,
          apiKey: required('API_KEY'),
          baseUrl: url('BASE_URL'),
        },
      };
      break;
    }
  }
  if (models) instance.models = models;
  const admission: Partial<AdmissionOverrides> = {};
  for (const limit of LIMIT_FIELDS) {
    const raw = fields.get(limit.suffix);
    if (!raw) continue;
    const parsed = parseLimit(raw.value, limit);
    if ('problem' in parsed) problems.push(`${raw.from} ${parsed.problem}`);
    else admission[limit.field] = parsed.value;
  }
  if (Object.keys(admission).length > 0) instance.admission = admission;
  return problems.length > before ? undefined : instance;
}

/** Every configured instance in default order (shorthand first, then the others by name), and
 * every problem of their settings. */
export function readProviderInstances(
  env: Env,
  managedIdentityClientId: string | undefined,
): { instances: ProviderInstance[]; problems: string[] } {
  const problems: string[] = [];
  const instances: ProviderInstance[] = [];
  for (const [name, fields] of collect(env, problems)) {
    const instance = build(name, fields, problems, managedIdentityClientId);
    if (instance) instances.push(instance);
  }
  return { instances, problems };
}

/** The names of the instances the settings configure (valid or not), in default order. */
export function configuredInstanceNames(env: Env): string[] {
  return [...collect(env, []).keys()];
}
