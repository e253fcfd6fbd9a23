/** Request ids: derived from the provider's delivery id, so a redelivery maps to the same request with no lookup. */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** 130 bits of the digest: collisions are not a practical concern, and the id stays short enough for URLs. */
export function deriveRequestId(namespace: string, ...parts: string[]): string {
  const digest = createHash('sha256')
    .update([namespace, ...parts].join('\u0000'))
    .digest();
  return `req_${base32(digest, 26)}`;
}

export function randomRequestId(): string {
  return `req_${base32(randomBytes(17), 26)}`;
}

export const REQUEST_ID_PATTERN = /^req_[0-9a-hjkmnp-tv-z]{26}$/;

export function contentHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}
