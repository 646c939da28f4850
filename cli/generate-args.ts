// Turns `generate` command-line arguments into a validated request, or one clear error line.
// node:util parseArgs is enough for a flat option list; a framework would add a dependency
// without removing any code we still need. The CLI sends the provider-neutral body with only
// what was given: the app fills in the chosen model's defaults from its capability table,
// so the CLI never guesses what a model takes.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { UploadContentType } from '../src/uploads/upload-record.js';
import { imageTypeOf, UPLOAD_LIMIT_BYTES } from './image-file.js';

/** A start image: a local file (uploaded through POST /api/uploads first) or an https link
 * (sent as is; the provider fetches it). */
export type ImageOption =
  | { kind: 'file'; file: string; bytes: Buffer; contentType: UploadContentType }
  | { kind: 'url'; url: string };

export interface GenerateOptions {
  prompt: string;
  provider?: string;
  model?: string;
  /** `WIDTHxHEIGHT` or an aspect ratio `W:H`, as the model names its sizes. */
  size?: string;
  seconds?: number;
  variants?: number;
  out: string;
  /** Base URL of a running app; undefined = start the embedded local stack. */
  api?: string;
  /** Function key sent as x-functions-key (never printed). */
  key?: string;
  image?: ImageOption;
}

export const USAGE =
  'Usage: npm run generate -- "prompt" [--provider P] [--model M] [--size WxH|W:H] [--seconds N] [--variants N] ' +
  '[--image PATH|https-URL] [--out output.mp4] [--api URL] [--key K]';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function positiveInteger(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new UsageError(`--${name} must be a positive whole number, got "${raw}"`);
  return Number(raw);
}

/** `--image`: an https URL, or a PNG/JPEG/WebP file of at most 10 MiB, read now (so a bad one
 * stops the command before anything starts). A relative path is taken from where `npm run`
 * was typed (INIT_CWD), not from the package folder npm runs the script in. */
export function parseImage(raw: string, cwd = process.env.INIT_CWD ?? process.cwd()): ImageOption {
  // A scheme (but not a Windows drive letter): a link, which must be https.
  if (/^[a-z][a-z0-9+.-]+:/i.test(raw)) {
    if (!URL.canParse(raw) || new URL(raw).protocol !== 'https:')
      throw new UsageError(`--image must be a file or an https:// URL, got "${raw}"`);
    return { kind: 'url', url: raw };
  }
  const file = path.resolve(cwd, raw);
  const info = statSync(file, { throwIfNoEntry: false });
  if (!info) throw new UsageError(`--image: no such file "${file}"`);
  if (!info.isFile()) throw new UsageError(`--image: "${file}" is not a file`);
  if (info.size > UPLOAD_LIMIT_BYTES)
    throw new UsageError(`--image: "${file}" is ${info.size} bytes; at most ${UPLOAD_LIMIT_BYTES} (10 MiB)`);
  const bytes = readFileSync(file);
  const contentType = imageTypeOf(bytes);
  if (!contentType) throw new UsageError(`--image: "${file}" is not a PNG, JPEG or WebP image`);
  return { kind: 'file', file, bytes, contentType };
}

export function parseGenerateArgs(argv: string[]): GenerateOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        provider: { type: 'string' },
        model: { type: 'string' },
        size: { type: 'string' },
        seconds: { type: 'string' },
        variants: { type: 'string' },
        out: { type: 'string' },
        api: { type: 'string' },
        key: { type: 'string' },
        image: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const prompt = positionals.join(' ').trim();
  if (!prompt) throw new UsageError('a prompt is required');
  if (values.size !== undefined && !/^(\d+x\d+|\d+:\d+)$/.test(values.size)) {
    throw new UsageError(
      `--size must look like WIDTHxHEIGHT (e.g. 480x480) or an aspect ratio (e.g. 16:9), got "${values.size}"`,
    );
  }

  let api: string | undefined;
  if (values.api !== undefined) {
    try {
      api = new URL(values.api).toString().replace(/\/+$/, '');
    } catch {
      throw new UsageError(`--api must be a URL such as http://localhost:7071, got "${values.api}"`);
    }
  }
  return {
    prompt,
    provider: values.provider,
    model: values.model,
    size: values.size,
    seconds: positiveInteger('seconds', values.seconds),
    variants: positiveInteger('variants', values.variants),
    out: values.out ?? 'output.mp4',
    api,
    key: values.key,
    image: values.image === undefined ? undefined : parseImage(values.image),
  };
}

/** The POST /api/videos body: the provider-neutral shape, with only the options given; a file
 * image goes as the `uploadId` POST /api/uploads gave it. */
export function requestBody(options: GenerateOptions, uploadId?: string): Record<string, unknown> {
  if (options.image?.kind === 'file' && !uploadId) throw new Error('the image file must be uploaded first');
  const given = {
    provider: options.provider,
    model: options.model,
    size: options.size,
    seconds: options.seconds,
    variants: options.variants,
  };
  const image =
    options.image?.kind === 'url' ? { url: options.image.url } : options.image ? { uploadId } : undefined;
  return {
    prompt: options.prompt,
    ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
    ...(image ? { image } : {}),
  };
}

/** File name for variant `index` (0-based): output.mp4, output-2.mp4, ... */
export function variantFileName(out: string, index: number): string {
  if (index === 0) return out;
  const dot = out.lastIndexOf('.');
  return dot > 0 ? `${out.slice(0, dot)}-${index + 1}${out.slice(dot)}` : `${out}-${index + 1}`;
}
