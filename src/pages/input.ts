import { AppError } from '../platform/errors.js';

/**
 * Input Porta cannot read: malformed percent-encoding, bytes that are not UTF-8, NUL characters
 * (PostgreSQL cannot store them in text) and lone surrogates, a body in another charset. Thrown by the
 * checks below; each edge answers it in its own vocabulary (admin `{error, message}`, OAuth
 * `invalid_request`, a page).
 */
export class InputRejected extends AppError {
  constructor(message: string, kind: 'invalid' | 'unsupported_media_type' = 'invalid') {
    super(kind, kind === 'invalid' ? 'invalid_request' : 'unsupported_media_type', message);
    this.name = 'InputRejected';
  }
}

const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
/** In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Cs}/u;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_CHARSETS = new Set(['', 'utf-8', 'utf8']);

/** Rejects NUL characters and lone surrogates in one decoded value. */
export function checkText(value: string, where: string): void {
  if (value.includes('\u0000')) throw new InputRejected(`The ${where} contains a NUL character.`);
  if (LONE_SURROGATE.test(value)) throw new InputRejected(`The ${where} is not valid Unicode.`);
}

function decodeComponent(encoded: string, where: string): string {
  if (BAD_PERCENT.test(encoded)) throw new InputRejected(`The ${where} has malformed percent-encoding.`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new InputRejected(`The ${where} is not valid UTF-8.`);
  }
  checkText(decoded, where);
  return decoded;
}

/** The request target (path and query, as sent): well-formed percent-encoding of UTF-8, no NUL. */
export function checkRequestTarget(target: string): void {
  decodeComponent(target, 'request URL');
}

/** Bytes of a text body, which must be UTF-8 (a leading BOM is kept, as JSON.parse refuses it). */
export function decodeUtf8(bytes: Buffer, where = 'request body'): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new InputRejected(`The ${where} is not valid UTF-8.`);
  }
}

/** A Content-Type charset, when given, must name UTF-8 (RFC 6749 Appendix B for forms, RFC 8259 §8.1 for JSON). */
export function checkCharset(charset: string): void {
  if (!UTF8_CHARSETS.has(charset.trim().toLowerCase())) {
    throw new InputRejected('The request body must be encoded in UTF-8.', 'unsupported_media_type');
  }
}

/** `application/x-www-form-urlencoded`, strictly: every name and value decodes to clean text. */
export function parseForm(text: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    fields.push([decodeComponent(name.replaceAll('+', ' '), 'form'), decodeComponent(value.replaceAll('+', ' '), 'form')]);
  }
  return fields;
}

/** Every key and string of a parsed JSON document is clean text (walked without recursion: depth is the client's choice). */
export function checkJson(value: unknown): void {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') checkText(item, 'JSON body');
    else if (Array.isArray(item)) for (const child of item) pending.push(child);
    else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        checkText(key, 'JSON body');
        pending.push(child);
      }
    }
  }
}
