// Typed settings, read and validated once. A bad deployment fails at start-up with one
// message that names every missing or invalid setting, instead of failing on the first
// video request. Secrets (the API key, connection strings) never appear in that message.
import { z } from 'zod';
import { ConfigError } from './errors.js';
import {
  parseLimit,
  withOverrides,
  type AdmissionOverrides,
  type LimitSetting,
} from './admission/limit-settings.js';
import {
  configuredInstanceNames,
  readProviderInstances,
  SHORTHANDS,
  type ProviderInstance,
} from './provider-instances.js';

/** Each provider instance's admission settings (docs: README "Limits and budgets"): they
 * override the vendor's published limits (src/admission/limits.ts) for that instance. */
function admissionSettingNames<P extends string>(prefix: P) {
  return [
    `${prefix}_MAX_RUNNING_JOBS`,
    `${prefix}_CREATES_PER_MINUTE`,
    `${prefix}_CREATE_BURST`,
    `${prefix}_DAILY_BUDGET_USD`,
  ] as const;
}

/** The settings prefix of each provider instance's own settings. */
export const providerSettingPrefix = {
  'azure-openai': 'AZURE_OPENAI',
  openai: 'OPENAI',
  fal: 'FAL',
  replicate: 'REPLICATE',
} as const;

/** Every fixed-name setting the app reads (besides the old names in settingAliases, and the
 * provider instances' VIDEO_PROVIDERS__<name>__<FIELD> settings: provider-instances.ts). infra/ and
 * local.settings.sample.json are checked against this list (test/infra/consistency.test.ts). */
export const settingNames = [
  'DEFAULT_PROVIDER',
  'AZURE_OPENAI_ENDPOINT',
  'AZURE_OPENAI_API_KEY',
  'AZURE_CLIENT_ID',
  'SORA_JOBS_DEPLOYMENT',
  'SORA_VIDEOS_DEPLOYMENT',
  'VIDEO_STORAGE',
  'VIDEO_STORAGE__blobServiceUri',
  'VIDEO_CONTAINER',
  'VIDEO_DEADLINE_MINUTES',
  'POLL_MIN_SECONDS',
  'POLL_MAX_SECONDS',
  'SAS_TTL_MINUTES',
  'PROVIDER_REQUEST_TIMEOUT_SECONDS',
  'CALLBACK_TIMEOUT_SECONDS',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'FAL_KEY',
  'FAL_QUEUE_URL',
  'FAL_JWKS_URL',
  'REPLICATE_API_TOKEN',
  'REPLICATE_BASE_URL',
  'REPLICATE_WEBHOOK_SECRET',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'XAI_API_KEY',
  'AI_GATEWAY_API_KEY',
  'PUBLIC_BASE_URL',
  'OUTBOUND_WEBHOOK_SECRET',
  'IDEMPOTENCY_KEY_SECRET',
  'ALLOW_LOCAL_CALLBACKS',
  'UPLOAD_TTL_HOURS',
  'UPLOAD_SWEEP_SCHEDULE',
  ...admissionSettingNames('AZURE_OPENAI'),
  ...admissionSettingNames('OPENAI'),
  ...admissionSettingNames('FAL'),
  ...admissionSettingNames('REPLICATE'),
] as const;

/** The provider instances today's flat settings configure (one per hand-written kind), in
 * default order: the first instance configured is the default unless DEFAULT_PROVIDER names
 * another. Any other instance is configured in the VIDEO_PROVIDERS__<name>__<FIELD> form. */
export const providerNames = ['azure-openai', 'openai', 'fal', 'replicate'] as const;
export type ProviderName = (typeof providerNames)[number];

export type SettingName = (typeof settingNames)[number];

export type { AdmissionOverrides, LimitSetting };

/** Old names still read for one release, each for the setting it was renamed to (the README
 * says so). Set alone, the old name counts as the new; set both to the same value, or set
 * only the new one: two different values stop the app, since either could be the intended one. */
export const settingAliases = {
  // It times out every provider's calls, not only Sora's.
  SORA_REQUEST_TIMEOUT_SECONDS: 'PROVIDER_REQUEST_TIMEOUT_SECONDS',
} as const satisfies Record<string, SettingName>;

export type VideoStorageConnection =
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; blobServiceUri: string };

export type {
  AiSdkPackage,
  AiSdkSettings,
  AzureOpenAiSettings,
  FalSettings,
  OpenAiVideosSettings,
  ProviderInstance,
  ReplicateSettings,
} from './provider-instances.js';

export interface AppConfig {
  /** Every configured provider instance, in default order. */
  providers: ProviderInstance[];
  /** The instance a request without `provider` goes to. */
  defaultProvider: string;
  /** The app's public base URL (no trailing slash), when set: status and callback URLs use it. */
  publicBaseUrl?: string;
  /** The user-assigned managed identity (Azure): storage and keyless Azure OpenAI use it. */
  managedIdentityClientId?: string;
  videoStorage: VideoStorageConnection;
  videoContainer: string;
  deadlineMinutes: number;
  poll: { minSeconds: number; maxSeconds: number };
  sasTtlMinutes: number;
  requestTimeoutSeconds: number;
  /** The hard deadline of one delivery attempt to a caller's callbackUrl (at most 30 s). */
  callbackTimeoutSeconds: number;
  outboundWebhookSecret?: string;
  idempotencyKeySecret?: string;
  /** Local development: a callbackUrl may be plain http to loopback. */
  allowLocalCallbacks: boolean;
  /** Each provider instance's admission settings, by instance name: the flat <P>_… settings of
   * the shorthand instances, each overridden by the instance's own VIDEO_PROVIDERS__<name>__…. */
  admission: Record<string, AdmissionOverrides>;
  /** How long an upload (POST /api/uploads) lives unless a request holds it longer. */
  uploadTtlHours: number;
  /** When the expireUploads timer runs: a six-field NCRONTAB expression (seconds first). */
  uploadSweepSchedule: string;
}

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));
const positiveNumber = (fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (!value) return fallback;
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a positive number, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });
/** A limit: a positive number or (where `unlimited`) 'unlimited'; blank is unset. Whole numbers where `whole`. */
const limitSetting = (whole: boolean, unlimited = true) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx): LimitSetting => {
      const parsed = parseLimit(value, { whole, unlimited });
      if ('problem' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.problem });
        return z.NEVER;
      }
      return parsed.value;
    });
const admissionSchemas = (prefix: string) => ({
  [`${prefix}_MAX_RUNNING_JOBS`]: limitSetting(true),
  [`${prefix}_CREATES_PER_MINUTE`]: limitSetting(false),
  [`${prefix}_CREATE_BURST`]: limitSetting(true, false),
  [`${prefix}_DAILY_BUDGET_USD`]: limitSetting(false),
});

const optionalHttpUrl = optionalText.refine(
  (value) => value === undefined || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)),
  'must be an http(s) URL',
);
/** A storage connection string's form, checked here because the client is made on first use
 * (storage/blob-container.ts): Azurite's shorthand, an account name with its key, or a blob
 * endpoint (with a SAS). The storage library checks the rest when it makes the client. */
const storageConnectionString = optionalText.refine(
  (value) =>
    value === undefined ||
    /(^|;)\s*UseDevelopmentStorage=true\s*(;|$)/.test(value) ||
    /(^|;)\s*BlobEndpoint=[^;]+/.test(value) ||
    (/(^|;)\s*AccountName=[^;]+/.test(value) && /(^|;)\s*AccountKey=[^;]+/.test(value)),
  'must be a storage connection string: UseDevelopmentStorage=true, AccountName=…;AccountKey=…, or BlobEndpoint=…',
);
/** Key material: at least 32 bytes that are not an obvious pattern. A secret cannot be proven
 * random; a short or repetitive one can be proven weak. */
const MIN_SECRET_BYTES = 32;
function weakSecret(bytes: Buffer): string | undefined {
  if (bytes.length < MIN_SECRET_BYTES) return `must be at least ${MIN_SECRET_BYTES} random bytes`;
  if (new Set(bytes).size < 12) return `must be ${MIN_SECRET_BYTES} random bytes, not a repeated pattern`;
  return undefined;
}
const whsecSecret = optionalText.superRefine((value, ctx) => {
  if (value === undefined) return;
  if (!/^whsec_[A-Za-z0-9+/=]+$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a whsec_… secret' });
    return;
  }
  const problem = weakSecret(Buffer.from(value.slice('whsec_'.length), 'base64'));
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (after whsec_, base64)` });
});
const plainSecret = optionalText.superRefine((value, ctx) => {
  const problem = value === undefined ? undefined : weakSecret(Buffer.from(value, 'utf8'));
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The secrets local.settings.sample.json ships with: public, so refused on Azure. */
export const sampleSecrets = {
  OUTBOUND_WEBHOOK_SECRET: 'whsec_bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1vdXRib3VuZC1zaWduaW5nLXNlY3JldA==',
  IDEMPOTENCY_KEY_SECRET: 'local-development-only-idempotency-key-secret',
} as const satisfies Partial<Record<SettingName, string>>;
const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

const settingsSchema = z.object({
  // The provider instances' flat settings are validated per instance (provider-instances.ts).
  DEFAULT_PROVIDER: optionalText,
  AZURE_OPENAI_ENDPOINT: optionalText,
  AZURE_OPENAI_API_KEY: optionalText,
  AZURE_CLIENT_ID: optionalText,
  SORA_JOBS_DEPLOYMENT: optionalText,
  SORA_VIDEOS_DEPLOYMENT: optionalText,
  VIDEO_STORAGE: storageConnectionString,
  VIDEO_STORAGE__blobServiceUri: optionalHttpUrl,
  VIDEO_CONTAINER: optionalText
    .transform((v) => v ?? 'videos')
    // Blob container naming rules: 3-63 chars, lowercase letters, digits, single hyphens.
    .refine(
      (v) => /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(v),
      'must be a valid blob container name (3-63 lowercase letters, digits, hyphens)',
    ),
  VIDEO_DEADLINE_MINUTES: positiveNumber(30),
  POLL_MIN_SECONDS: positiveNumber(2),
  POLL_MAX_SECONDS: positiveNumber(30),
  SAS_TTL_MINUTES: positiveNumber(60),
  PROVIDER_REQUEST_TIMEOUT_SECONDS: positiveNumber(30),
  // Standard Webhooks suggests 15-30 s an attempt; longer would let receivers hold delivery slots.
  CALLBACK_TIMEOUT_SECONDS: positiveNumber(15).refine((value) => value <= 30, 'must be at most 30'),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText,
  FAL_KEY: optionalText,
  FAL_QUEUE_URL: optionalText,
  FAL_JWKS_URL: optionalText,
  REPLICATE_API_TOKEN: optionalText,
  REPLICATE_BASE_URL: optionalText,
  // Checked here too, so a bad value is reported even without REPLICATE_API_TOKEN.
  REPLICATE_WEBHOOK_SECRET: optionalText.refine(
    (value) => value === undefined || /^whsec_[A-Za-z0-9+/=]+$/.test(value),
    'must be a whsec_… secret',
  ),
  GOOGLE_GENERATIVE_AI_API_KEY: optionalText,
  XAI_API_KEY: optionalText,
  AI_GATEWAY_API_KEY: optionalText,
  PUBLIC_BASE_URL: optionalHttpUrl,
  OUTBOUND_WEBHOOK_SECRET: whsecSecret,
  IDEMPOTENCY_KEY_SECRET: plainSecret,
  ALLOW_LOCAL_CALLBACKS: optionalText.refine(
    (value) => value === undefined || /^(true|false)$/i.test(value),
    'must be true or false',
  ),
  UPLOAD_TTL_HOURS: positiveNumber(24),
  // Six NCRONTAB fields (seconds first), as the Functions timer trigger takes them.
  UPLOAD_SWEEP_SCHEDULE: optionalText
    .transform((value) => value ?? '0 */10 * * * *')
    .refine(
      (value) => /^[\d*/,-]+( [\d*/,-]+){5}$/.test(value),
      'must be a six-field NCRONTAB schedule such as "0 */10 * * * *"',
    ),
  ...Object.values(providerSettingPrefix).reduce(
    (all, prefix) => ({ ...all, ...admissionSchemas(prefix) }),
    {} as Record<string, ReturnType<typeof limitSetting>>,
  ),
});

/** App Service (and so Functions on Azure) sets these on every instance; never set locally. */
export const azureMarkers = ['WEBSITE_SITE_NAME', 'WEBSITE_INSTANCE_ID'] as const;

/** Whether the app runs on Azure: local-development allowances are refused there. */
export function runsOnAzure(env: Readonly<Record<string, string | undefined>>): boolean {
  return azureMarkers.some((name) => Boolean(env[name]?.trim()));
}

/** Rules across settings. Checked on the raw values so they are reported even when
 * another setting is invalid (zod skips refinements of an object that failed). */
function crossSettingProblems(
  raw: Readonly<Record<string, string | undefined>>,
  configured: readonly string[],
  onAzure: boolean,
): string[] {
  const problems: string[] = [];
  if (onAzure && raw.ALLOW_LOCAL_CALLBACKS?.trim().toLowerCase() === 'true')
    problems.push('ALLOW_LOCAL_CALLBACKS is for local development only: it must not be true on Azure');
  for (const [name, sample] of Object.entries(sampleSecrets))
    if (onAzure && raw[name]?.trim() === sample)
      problems.push(
        `${name} is the public sample value (local.settings.sample.json): set a secret of your own on Azure`,
      );
  if (!raw.VIDEO_STORAGE?.trim() && !raw.VIDEO_STORAGE__blobServiceUri?.trim()) {
    problems.push(
      'VIDEO_STORAGE is required (a connection string), or set VIDEO_STORAGE__blobServiceUri for identity-based access',
    );
  }
  const min = Number(raw.POLL_MIN_SECONDS?.trim() || 2);
  const max = Number(raw.POLL_MAX_SECONDS?.trim() || 30);
  if (min > 0 && max > 0 && min > max)
    problems.push(`POLL_MIN_SECONDS must not exceed POLL_MAX_SECONDS (${max})`);
  if (configured.length === 0) {
    problems.push(
      'no video provider is configured: set FAL_KEY, REPLICATE_API_TOKEN, OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, GOOGLE_GENERATIVE_AI_API_KEY, XAI_API_KEY or AI_GATEWAY_API_KEY, or VIDEO_PROVIDERS__<name>__KIND with its fields',
    );
  }
  const wanted = raw.DEFAULT_PROVIDER?.trim().toLowerCase();
  if (wanted && configured.length > 0 && !configured.includes(wanted)) {
    problems.push(
      SHORTHANDS.some((shorthand) => shorthand.name === wanted)
        ? `DEFAULT_PROVIDER names ${wanted}, which is not configured (configured: ${configured.join(', ')})`
        : `DEFAULT_PROVIDER must be one of ${configured.join(', ')}`,
    );
  }
  return problems;
}

/** The settings by their current names, an old name standing in for its new one; `shownAs`
 * names each setting as the environment spelled it, for messages. */
function withAliases(env: Readonly<Record<string, string | undefined>>): {
  picked: Record<string, string | undefined>;
  shownAs: Record<string, string>;
  problems: string[];
} {
  const picked: Record<string, string | undefined> = Object.fromEntries(
    settingNames.map((name) => [name, env[name]]),
  );
  const shownAs: Record<string, string> = {};
  const problems: string[] = [];
  for (const [old, current] of Object.entries(settingAliases)) {
    const oldValue = env[old]?.trim();
    if (!oldValue) continue;
    const value = picked[current]?.trim();
    if (!value) {
      picked[current] = env[old];
      shownAs[current] = old;
    } else if (value !== oldValue) {
      problems.push(
        `${old} (the old name of ${current}) and ${current} are both set, to different values: keep only ${current}`,
      );
    }
  }
  return { picked, shownAs, problems };
}

/** Reads and validates the settings; throws one ConfigError naming every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const { picked, shownAs, problems: aliasProblems } = withAliases(env);
  const result = settingsSchema.safeParse(picked);
  const nameOf = (key: PropertyKey | undefined) =>
    key === undefined ? 'settings' : (shownAs[String(key)] ?? String(key));
  // Messages name the setting and the rule, never the value of a secret.
  const { instances, problems: instanceProblems } = readProviderInstances(
    { ...env, ...picked },
    picked.AZURE_CLIENT_ID?.trim() || undefined,
  );
  const configured = instances.map((instance) => instance.name);
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${nameOf(issue.path[0])} ${issue.message}`)),
    ...aliasProblems,
    ...instanceProblems,
    // Every instance the settings name, valid or not: its own problems are reported above.
    ...crossSettingProblems(picked, configuredInstanceNames({ ...env, ...picked }), runsOnAzure(env)),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const s = result.data;
  // The shorthand instances' flat <P>_… admission settings.
  const flatAdmission: Record<string, AdmissionOverrides> = Object.fromEntries(
    providerNames.map((name) => {
      const read = (suffix: string) =>
        (s as Record<string, LimitSetting>)[`${providerSettingPrefix[name]}_${suffix}`];
      return [
        name,
        {
          maxRunningJobs: read('MAX_RUNNING_JOBS'),
          createsPerMinute: read('CREATES_PER_MINUTE'),
          createBurst: read('CREATE_BURST'),
          dailyBudgetUsd: read('DAILY_BUDGET_USD'),
        },
      ];
    }),
  );
  return {
    providers: instances,
    defaultProvider: s.DEFAULT_PROVIDER?.toLowerCase() ?? configured[0],
    publicBaseUrl: s.PUBLIC_BASE_URL ? withoutTrailingSlash(s.PUBLIC_BASE_URL) : undefined,
    managedIdentityClientId: s.AZURE_CLIENT_ID,
    outboundWebhookSecret: s.OUTBOUND_WEBHOOK_SECRET,
    idempotencyKeySecret: s.IDEMPOTENCY_KEY_SECRET,
    allowLocalCallbacks: s.ALLOW_LOCAL_CALLBACKS?.toLowerCase() === 'true',
    // A connection string wins: it is what local runs (Azurite) set; Azure sets only the URI.
    videoStorage: s.VIDEO_STORAGE
      ? { kind: 'connectionString', connectionString: s.VIDEO_STORAGE }
      : { kind: 'identity', blobServiceUri: s.VIDEO_STORAGE__blobServiceUri! },
    videoContainer: s.VIDEO_CONTAINER,
    deadlineMinutes: s.VIDEO_DEADLINE_MINUTES,
    poll: { minSeconds: s.POLL_MIN_SECONDS, maxSeconds: s.POLL_MAX_SECONDS },
    sasTtlMinutes: s.SAS_TTL_MINUTES,
    requestTimeoutSeconds: s.PROVIDER_REQUEST_TIMEOUT_SECONDS,
    callbackTimeoutSeconds: s.CALLBACK_TIMEOUT_SECONDS,
    uploadTtlHours: s.UPLOAD_TTL_HOURS,
    uploadSweepSchedule: s.UPLOAD_SWEEP_SCHEDULE,
    admission: {
      ...flatAdmission,
      ...Object.fromEntries(
        instances
          .filter((instance) => instance.admission)
          .map((instance) => [
            instance.name,
            withOverrides(flatAdmission[instance.name], instance.admission),
          ]),
      ),
    },
  };
}
