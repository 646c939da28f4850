// Models as configuration: an instance's MODELS field adds models to its kind's built-in table,
// or replaces it, so a model released tomorrow works without a release of this app. The field
// holds the JSON itself, or the path of a JSON document (relative to the app's folder):
//   { "replace": false, "models": { "<model id>": { "seconds": [5, 10], "sizes": ["16:9"], … } } }
// Each model is validated like the built-in rows; a problem names the setting, model and field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ModelCapabilities } from './providers/capabilities.js';

export interface ConfiguredModel extends ModelCapabilities {
  /** The provider's job list echoes this model's prompts (see ModelInfo.promptEcho). */
  promptEcho: boolean;
}

export interface ModelsSetting {
  /** true: these are the instance's only models; false: they add to (or override) the built-in rows. */
  replace: boolean;
  models: Readonly<Record<string, ConfiguredModel>>;
}

const positive = z.number().positive();
const modelSchema = z
  .object({
    seconds: z.array(positive).min(1),
    defaultSeconds: positive.optional(),
    sizes: z.array(z.string().regex(/^(\d+x\d+|\d+:\d+|auto)$/, 'must be WIDTHxHEIGHT, W:H or auto')).min(1),
    defaultSize: z.string().optional(),
    maxVariants: z.number().int().positive().default(1),
    // What the model takes of the request's image (src/providers/capabilities.ts ImageInput).
    image: z
      .object({
        use: z.enum(['optional', 'required']),
        roles: z.array(z.enum(['first-frame', 'reference'])).min(1),
        field: z.string().min(1).max(100),
        sizeRule: z.literal('match-size').optional(),
      })
      .strict()
      .optional(),
    audio: z.boolean().default(false),
    options: z.boolean().default(false),
    reservedOptions: z.array(z.string()).optional(),
    promptEcho: z.boolean().default(false),
  })
  .strict()
  .superRefine((model, ctx) => {
    if (model.defaultSeconds !== undefined && !model.seconds.includes(model.defaultSeconds))
      ctx.addIssue({ code: 'custom', path: ['defaultSeconds'], message: 'must be one of seconds' });
    if (model.defaultSize !== undefined && !model.sizes.includes(model.defaultSize))
      ctx.addIssue({ code: 'custom', path: ['defaultSize'], message: 'must be one of sizes' });
  });

const documentSchema = z
  .object({
    replace: z.boolean().default(false),
    models: z.record(z.string().min(1), z.unknown()),
  })
  .strict();

function readDocument(from: string, value: string, problems: string[]): unknown {
  let text = value;
  if (!value.startsWith('{')) {
    const file = path.resolve(value);
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      problems.push(`${from} names ${value}, which cannot be read (give the JSON, or a readable file)`);
      return undefined;
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    problems.push(`${from} is not valid JSON`);
    return undefined;
  }
}

/** The MODELS field, read and validated; undefined (with problems) when any part is bad. */
export function parseModelsSetting(
  from: string,
  value: string,
  problems: string[],
): ModelsSetting | undefined {
  const document = readDocument(from, value, problems);
  if (document === undefined) return undefined;
  const parsed = documentSchema.safeParse(document);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${from}: ${issue.path.join('.') || 'the document'} ${issue.message}`);
    return undefined;
  }
  const before = problems.length;
  const models: Record<string, ConfiguredModel> = {};
  for (const [id, raw] of Object.entries(parsed.data.models)) {
    const model = modelSchema.safeParse(raw);
    if (!model.success) {
      for (const issue of model.error.issues)
        problems.push(
          `${from}: model "${id}" field ${issue.path.join('.') || '(the model)'} ${issue.message}`,
        );
      continue;
    }
    const { defaultSeconds, defaultSize, ...rest } = model.data;
    models[id] = {
      ...rest,
      defaultSeconds: defaultSeconds ?? rest.seconds[0],
      defaultSize: defaultSize ?? rest.sizes[0],
    };
  }
  if (Object.keys(parsed.data.models).length === 0) problems.push(`${from}: models is empty`);
  return problems.length > before ? undefined : { replace: parsed.data.replace, models };
}
