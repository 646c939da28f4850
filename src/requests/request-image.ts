// The request's `image` and `imageRole` (issue 23): the shape and URL rules (pure), then what the
// model's capability row says of images, then (async) the upload it names. Each problem names its
// field: `image`, `image.url`, `image.uploadId` or `imageRole`.
import { z } from 'zod';
import { callbackUrlShapeProblem } from '../callbacks/callback-url.js';
import {
  IMAGE_ROLES,
  type FieldProblem,
  type ImageInput,
  type ImageRole,
} from '../providers/capabilities.js';
import { UPLOAD_ID_PATTERN, type UploadStore } from '../uploads/upload-record.js';

/** A caller's image link: handed to the provider as is. */
export const MAX_IMAGE_URL_LENGTH = 2048;

/** As the request carries it, and as the orchestration's input and status show it: a link or an
 * upload id, never a signed link. */
export type RequestImage = { url: string } | { uploadId: string };

export const imageSchema = z
  .strictObject(
    {
      url: z
        .string({ error: 'must be a string' })
        .max(MAX_IMAGE_URL_LENGTH, `must be at most ${MAX_IMAGE_URL_LENGTH} characters`)
        .optional(),
      uploadId: z
        .string({ error: 'must be a string' })
        .regex(UPLOAD_ID_PATTERN, 'must be an id from POST /api/uploads (upl_ and 22 characters)')
        .optional(),
    },
    { error: 'must be an object: {"url": "https://…"} or {"uploadId": "upl_…"}' },
  )
  // Exactly one of the two (the superRefine below), as the JSON schema says it.
  .meta({ minProperties: 1, maxProperties: 1 })
  .superRefine((image, context) => {
    if ((image.url === undefined) === (image.uploadId === undefined))
      context.addIssue({ code: 'custom', message: 'must have exactly one of url and uploadId' });
  })
  .transform((image): RequestImage =>
    image.url !== undefined ? { url: image.url } : { uploadId: image.uploadId! },
  );

export const imageRoleSchema = z.enum(IMAGE_ROLES as [ImageRole, ...ImageRole[]], {
  error: `must be one of ${IMAGE_ROLES.join(', ')}`,
});

/** What the link itself says: https, no credentials, the default port, not a private address
 * written out (ALLOW_LOCAL_CALLBACKS also lets plain http reach loopback, for local development).
 * The rules are the callback URL's (src/callbacks/callback-url.ts). */
export function imageUrlProblem(url: string, allowLoopback: boolean): string | undefined {
  return callbackUrlShapeProblem(url, { allowLoopback, maxLength: MAX_IMAGE_URL_LENGTH });
}

/** The image against the model's row: none for a text-only model, one for an image-only model,
 * a role the model gives images. Returns the role to use. */
export function imageCapabilityProblems(
  model: string,
  caps: ImageInput | undefined,
  image: RequestImage | undefined,
  role: ImageRole | undefined,
  allowLoopback: boolean,
): { problems: FieldProblem[]; role?: ImageRole } {
  const problems: FieldProblem[] = [];
  if (!caps) {
    if (image)
      problems.push({ field: 'image', message: `${model} takes no image (it makes video from text)` });
    if (role) problems.push({ field: 'imageRole', message: `${model} takes no image` });
    return { problems };
  }
  if (!image) {
    if (caps.use === 'required')
      problems.push({
        field: 'image',
        message: `${model} makes video from an image: send image as {"url": …} or {"uploadId": …}`,
      });
    if (role) problems.push({ field: 'imageRole', message: 'is only taken with an image' });
    return { problems };
  }
  if (role && !caps.roles.includes(role))
    problems.push({ field: 'imageRole', message: `${model} takes an image as ${caps.roles.join(', ')}` });
  if ('url' in image) {
    const problem = imageUrlProblem(image.url, allowLoopback);
    if (problem) problems.push({ field: 'image.url', message: problem });
  }
  return { problems, role: role ?? caps.roles[0] };
}

/** The upload's own checks, once the body is otherwise valid: it exists and has not expired, and
 * (for a model whose image must be the video's size) its dimensions are `size`. A {url} to such a
 * model is checked where its bytes are read, in the adapter (src/providers/http/image-bytes.ts). */
export async function uploadProblems(
  image: RequestImage | undefined,
  caps: ImageInput | undefined,
  size: string,
  uploads: UploadStore | undefined,
): Promise<FieldProblem[]> {
  if (!image || !('uploadId' in image)) return [];
  if (!uploads)
    return [{ field: 'image.uploadId', message: 'is not available: this deployment keeps no uploads' }];
  const record = await uploads.find(image.uploadId);
  if (!record)
    return [
      { field: 'image.uploadId', message: 'names no upload (unknown, or expired): upload the image again' },
    ];
  const exact = /^(\d+)x(\d+)$/.exec(size);
  if (caps?.sizeRule === 'match-size' && exact) {
    const [width, height] = [Number(exact[1]), Number(exact[2])];
    if (record.width !== width || record.height !== height)
      return [
        {
          field: 'image',
          message: `is ${record.width}x${record.height}; this model needs the image to be exactly the video's size, ${size}`,
        },
      ];
  }
  return [];
}
