// Turns `generate` command-line arguments into a validated request, or one clear error line.
// node:util parseArgs is enough for a flat option list; a framework would add a dependency
// without removing any code we still need (the body shape depends on the model family).
import { parseArgs } from 'node:util';

export interface GenerateOptions {
  prompt: string;
  model: string;
  width: number;
  height: number;
  seconds: number;
  variants: number;
  out: string;
  /** Base URL of a running app; undefined = start the embedded local stack. */
  api?: string;
  /** Function key sent as x-functions-key (never printed). */
  key?: string;
}

export const USAGE =
  'Usage: npm run generate -- "prompt" [--size WxH] [--seconds N] [--variants N] [--model M] ' +
  '[--out output.mp4] [--api URL] [--key K]';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Sora 2 (the OpenAI videos API) is chosen by model name; every other name is a Sora 1 deployment. */
export function isSora2(model: string): boolean {
  return /^sora-2/i.test(model);
}

function positiveInteger(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`--${name} must be a positive whole number, got "${raw}"`);
  return Number(raw);
}

export function parseGenerateArgs(argv: string[]): GenerateOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        size: { type: 'string' },
        seconds: { type: 'string' },
        variants: { type: 'string' },
        model: { type: 'string' },
        out: { type: 'string' },
        api: { type: 'string' },
        key: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const prompt = positionals.join(' ').trim();
  if (!prompt) throw new UsageError('a prompt is required');

  const model = values.model ?? 'sora';
  const sora2 = isSora2(model);
  const size = values.size ?? (sora2 ? '720x1280' : '480x480');
  const sizeMatch = /^(\d+)x(\d+)$/.exec(size);
  if (!sizeMatch) throw new UsageError(`--size must look like WIDTHxHEIGHT (e.g. 480x480), got "${size}"`);

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
    model,
    width: Number(sizeMatch[1]),
    height: Number(sizeMatch[2]),
    seconds: positiveInteger('seconds', values.seconds ?? (sora2 ? '4' : '5')),
    variants: positiveInteger('variants', values.variants ?? '1'),
    out: values.out ?? 'output.mp4',
    api,
    key: values.key,
  };
}

/** The POST /api/videos body: the two Sora API families take differently shaped requests. */
export function requestBody(options: GenerateOptions): Record<string, unknown> {
  if (isSora2(options.model)) {
    return {
      prompt: options.prompt,
      size: `${options.width}x${options.height}`,
      seconds: String(options.seconds),
      model: options.model,
    };
  }
  return {
    prompt: options.prompt,
    width: options.width,
    height: options.height,
    n_seconds: options.seconds,
    model: options.model,
    n_variants: options.variants,
  };
}

/** File name for variant `index` (0-based): output.mp4, output-2.mp4, ... */
export function variantFileName(out: string, index: number): string {
  if (index === 0) return out;
  const dot = out.lastIndexOf('.');
  return dot > 0 ? `${out.slice(0, dot)}-${index + 1}${out.slice(dot)}` : `${out}-${index + 1}`;
}
