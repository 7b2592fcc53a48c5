/** The engine's routes whose answer is the same for every caller (spec 10 §12). */
export type PublicDocumentKind = 'discovery' | 'jwks';

/**
 * Shared caches and relying parties may keep both for five minutes (spec 10 §12). A key made by
 * `porta keys generate` is published at once but may reach a cached reader that late; a relying party
 * meeting an unknown `kid` refetches, and a revalidation with `If-None-Match` costs one 304.
 */
export const PUBLIC_DOCUMENT_CACHE_CONTROL = 'public, max-age=300';

/** One organization's discovery or JWKS as its engine answered it (metadata-cache.ts). */
export interface PublicDocument {
  /** The engine's bytes, sent as a string: with the headers, one write to the socket instead of two. */
  text: string;
  /** Of `text` in UTF-8. */
  length: number;
  contentType: string;
  /** Strong: the same tag means the same bytes. */
  etag: string;
  /**
   * The headers the whole middleware chain answered this document with (names as sent, values), less the
   * request's own: what the replay sends for a 200, and for a 304 without the content headers.
   */
  recorded?: { ok: string[]; notModified: string[] };
}

/** RFC 9110 §13.1.2 (If-None-Match): `*`, or any listed tag, strong or weak, naming this one. */
export function matchesTag(condition: string | undefined, etag: string): boolean {
  if (!condition) return false;
  for (const tag of condition.split(',')) {
    const trimmed = tag.trim();
    if (trimmed === '*' || trimmed === etag || (trimmed.startsWith('W/') && trimmed.slice(2) === etag)) return true;
  }
  return false;
}
