// What a model accepts, as data: request validation reads these tables (one per adapter)
// instead of hard-coded enums, so a new model is a new row, not new code. Pure.

export interface SizeLimits {
  maxVariants?: number;
  maxSeconds?: number;
}

/** What a provider account allows at once and per minute, and what the app may spend a day.
 * A field left out is no limit. */
export interface AdmissionLimits {
  /** Jobs running (or queued) at the provider at once. */
  maxRunningJobs?: number;
  /** Creates per minute, sustained. */
  createsPerMinute?: number;
  /** Creates that may leave back to back before the per-minute pace applies (default 1). */
  createBurst?: number;
  /** USD a UTC day (settings only: no vendor sets one). */
  dailyBudgetUsd?: number;
}

/** A vendor's published limits for a model, where it says what they apply to (one account or
 * key, or one model or deployment) and where it says so. */
export interface VendorLimits {
  scope: 'account' | 'model';
  limits: AdmissionLimits;
  /** The vendor page (and our notes in docs/providers/), and when it was read. */
  source: string;
  asOf: string;
}

/** What a model costs per second of video, with its source. */
export interface ModelPrice {
  /** USD per second of video (without sound, where sound costs more). */
  usdPerSecond: number;
  /** USD per second with sound, where the vendor prices it apart. */
  withAudio?: {
    usdPerSecond: number;
    /** The model's input that turns sound on or off, and whether it is on when not given. */
    option: string;
    default: boolean;
  };
  source: string;
  asOf: string;
}

export interface ModelCapabilities {
  /** Clip lengths (seconds) the model accepts. */
  seconds: readonly number[];
  defaultSeconds: number;
  /** `WIDTHxHEIGHT` sizes or `W:H` aspect ratios, as the model names them. */
  sizes: readonly string[];
  defaultSize: string;
  /** Videos per job. */
  maxVariants: number;
  /** Tighter limits at some sizes (Sora 1: fewer variants, shorter clips at 1080p). */
  sizeLimits?: Readonly<Record<string, SizeLimits>>;
  /** Takes an image (the request's `image`); absent: text only. */
  image?: ImageInput;
  /** Makes sound. */
  audio: boolean;
  /** Passes the model's other documented inputs through `options`. */
  options: boolean;
  /** Also takes the Sora quickstart's body (width, height, n_seconds, n_variants). */
  quickstartBody?: boolean;
  /** Wire inputs the request's own fields set: `options` may not name them (it would
   * silently override, or be overridden by, prompt, seconds or size). */
  reservedOptions?: readonly string[];
  /** The vendor's published limits for this model; absent: none documented. */
  limits?: VendorLimits;
  /** The vendor's published price; absent: none recorded here (no cost is shown). */
  price?: ModelPrice;
}

/** How a model uses the request's image: the start of the video, or a look to follow. */
export type ImageRole = 'first-frame' | 'reference';
export const IMAGE_ROLES: readonly ImageRole[] = ['first-frame', 'reference'];

/** What a model takes of an image (src/requests/ checks a request against it; the adapter sends it). */
export interface ImageInput {
  /** `required`: an image-to-video model (fal's …/image-to-video); `optional`: text or image. */
  use: 'optional' | 'required';
  /** The roles the model gives an image; the first is the default. */
  roles: readonly ImageRole[];
  /** The model's own input for the image on the wire (fal `image_url`, Replicate `start_image`,
   * Sora 2 `input_reference`, …): `options` may not set it. */
  field: string;
  /** `match-size`: the image's width and height must equal the request's `size` (Sora 2). */
  sizeRule?: 'match-size';
}

export interface FieldProblem {
  /** JSON path of the offending field ('' for the body itself). */
  field: string;
  message: string;
}

/** What a caller asked for, before defaults. */
export interface RequestedShape {
  seconds?: number;
  size?: string;
  variants?: number;
  options?: Record<string, unknown>;
}

export interface ResolvedShape {
  seconds: number;
  size: string;
  variants: number;
}

/** Checks a request against a model's capabilities; fills in the model's defaults. */
export function applyCapabilities(
  model: string,
  caps: ModelCapabilities,
  asked: RequestedShape,
): { ok: true; shape: ResolvedShape } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const seconds = asked.seconds ?? caps.defaultSeconds;
  const size = asked.size ?? caps.defaultSize;
  const variants = asked.variants ?? 1;
  if (!caps.seconds.includes(seconds))
    problems.push({
      field: 'seconds',
      message: `${model} takes ${describeList(caps.seconds)} seconds, not ${seconds}`,
    });
  if (!caps.sizes.includes(size))
    problems.push({ field: 'size', message: `${model} takes size ${caps.sizes.join(', ')}, not ${size}` });
  const limits = caps.sizeLimits?.[size] ?? {};
  const maxVariants = Math.min(caps.maxVariants, limits.maxVariants ?? Infinity);
  if (variants > maxVariants)
    problems.push({
      field: 'variants',
      message: `${model} makes at most ${maxVariants} variant${maxVariants === 1 ? '' : 's'}${limits.maxVariants !== undefined ? ` at ${size}` : ''}`,
    });
  if (limits.maxSeconds !== undefined && seconds > limits.maxSeconds)
    problems.push({
      field: 'seconds',
      message: `${model} makes at most ${limits.maxSeconds} seconds at ${size}`,
    });
  const optionNames = Object.keys(asked.options ?? {});
  if (optionNames.length > 0 && !caps.options)
    problems.push({ field: 'options', message: `${model} takes no other inputs` });
  for (const name of optionNames.filter(
    (option) => caps.options && reservedOptionsOf(caps).includes(option),
  )) {
    problems.push({
      field: `options.${name}`,
      message:
        name === caps.image?.field
          ? `is set from the request's image; send the image as image: {url} or {uploadId}`
          : `is set from the request's prompt, seconds and size; do not pass it in options`,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, shape: { seconds, size, variants } };
}

/** The wire inputs `options` may not name: the model's reserved ones and its image input. */
export function reservedOptionsOf(caps: Pick<ModelCapabilities, 'reservedOptions' | 'image'>): string[] {
  return [...(caps.reservedOptions ?? []), ...(caps.image ? [caps.image.field] : [])];
}

/** "4, 8, 12" or, for a run of whole numbers, "1-20". */
function describeList(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const isRun =
    sorted.length > 3 && sorted.every((value, index) => index === 0 || value === sorted[index - 1] + 1);
  return isRun ? `${sorted[0]}-${sorted[sorted.length - 1]}` : sorted.join(', ');
}
