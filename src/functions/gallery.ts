// GET /api/gallery (placeholder until the page lands).
import type { HttpResponseInit } from '@azure/functions';

export function createGallery() {
  return {
    async page(): Promise<HttpResponseInit> {
      return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html><title>Gallery</title>' };
    },
  };
}
