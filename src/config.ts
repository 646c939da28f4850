// Typed settings, read and validated once. A bad deployment fails at start-up with one
// message that names every missing or invalid setting, instead of failing on the first
// video request. Secrets (the API key, connection strings) never appear in that message.
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** Every environment variable the app reads. infra/ and local.settings.sample.json are
 * checked against this list (test/infra/consistency.test.ts). */
export const settingNames = [
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
  'SORA_REQUEST_TIMEOUT_SECONDS',
] as const;

export type SettingName = (typeof settingNames)[number];

export type VideoStorageConnection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; blobServiceUri: string };

export interface AppConfig {
  openAi: { endpoint: string; apiKey?: string; managedIdentityClientId?: string };
  deployments: { jobs: string; videos: string };
  videoStorage: VideoStorageConnection;
  videoContainer: string;
  deadlineMinutes: number;
  poll: { minSeconds: number; maxSeconds: number };
  sasTtlMinutes: number;
  requestTimeoutSeconds: number;
}

const optionalText = z.string().trim().optional().transform((value) => (value ? value : undefined));
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
const httpUrl = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'is required')
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL');

const settingsSchema = z
  .object({
    AZURE_OPENAI_ENDPOINT: httpUrl,
    AZURE_OPENAI_API_KEY: optionalText,
    AZURE_CLIENT_ID: optionalText,
    SORA_JOBS_DEPLOYMENT: optionalText.transform((v) => v ?? 'sora'),
    SORA_VIDEOS_DEPLOYMENT: optionalText.transform((v) => v ?? 'sora-2'),
    VIDEO_STORAGE: optionalText,
    VIDEO_STORAGE__blobServiceUri: optionalText.refine(
      (value) => value === undefined || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)),
      'must be an http(s) URL',
    ),
    VIDEO_CONTAINER: optionalText
      .transform((v) => v ?? 'videos')
      // Blob container naming rules: 3-63 chars, lowercase letters, digits, single hyphens.
      .refine((v) => /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(v), 'must be a valid blob container name (3-63 lowercase letters, digits, hyphens)'),
    VIDEO_DEADLINE_MINUTES: positiveNumber(30),
    POLL_MIN_SECONDS: positiveNumber(2),
    POLL_MAX_SECONDS: positiveNumber(30),
    SAS_TTL_MINUTES: positiveNumber(60),
    SORA_REQUEST_TIMEOUT_SECONDS: positiveNumber(30),
  });

/** Rules across settings. Checked on the raw values so they are reported even when
 * another setting is invalid (zod skips refinements of an object that failed). */
function crossSettingProblems(raw: Readonly<Record<string, string | undefined>>): string[] {
  const problems: string[] = [];
  if (!raw.VIDEO_STORAGE?.trim() && !raw.VIDEO_STORAGE__blobServiceUri?.trim()) {
    problems.push('VIDEO_STORAGE is required (a connection string), or set VIDEO_STORAGE__blobServiceUri for identity-based access');
  }
  const min = Number(raw.POLL_MIN_SECONDS?.trim() || 2);
  const max = Number(raw.POLL_MAX_SECONDS?.trim() || 30);
  if (min > 0 && max > 0 && min > max) problems.push(`POLL_MIN_SECONDS must not exceed POLL_MAX_SECONDS (${max})`);
  return problems;
}

/** Reads and validates the settings; throws one ConfigError naming every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const picked = Object.fromEntries(settingNames.map((name) => [name, env[name]]));
  const result = settingsSchema.safeParse(picked);
  // Messages name the setting and the rule, never the value of a secret.
  const problems = [
    ...(result.success ? [] : result.error.issues.map((issue) => `${String(issue.path[0] ?? 'settings')} ${issue.message}`)),
    ...crossSettingProblems(picked),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const s = result.data;
  return {
    openAi: { endpoint: s.AZURE_OPENAI_ENDPOINT.replace(/\/+$/, ''), apiKey: s.AZURE_OPENAI_API_KEY, managedIdentityClientId: s.AZURE_CLIENT_ID },
    deployments: { jobs: s.SORA_JOBS_DEPLOYMENT, videos: s.SORA_VIDEOS_DEPLOYMENT },
    // A connection string wins: it is what local runs (Azurite) set; Azure sets only the URI.
    videoStorage: s.VIDEO_STORAGE
      ? { kind: 'connectionString', connectionString: s.VIDEO_STORAGE }
      : { kind: 'identity', blobServiceUri: s.VIDEO_STORAGE__blobServiceUri! },
    videoContainer: s.VIDEO_CONTAINER,
    deadlineMinutes: s.VIDEO_DEADLINE_MINUTES,
    poll: { minSeconds: s.POLL_MIN_SECONDS, maxSeconds: s.POLL_MAX_SECONDS },
    sasTtlMinutes: s.SAS_TTL_MINUTES,
    requestTimeoutSeconds: s.SORA_REQUEST_TIMEOUT_SECONDS,
  };
}
