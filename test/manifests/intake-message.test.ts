/** docs/intake-queue.md stays true: its examples are accepted, and its request-id recipe gives intake's ids. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveRequestId } from '../../shared/intake/ids';
import { ExternalSubmissionSchema } from '../../shared/intake/messages';
import { validateSource } from '../../shared/manifests/validate';

const DOC = readFileSync('docs/intake-queue.md', 'utf8');
const blocks = (lang: string) => [...DOC.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);

describe('docs/intake-queue.md', () => {
  const messages = blocks('json').map((text) => JSON.parse(text) as unknown);

  it('shows messages that the intake queue accepts, with valid manifests', () => {
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const message of messages) {
      const { manifests } = ExternalSubmissionSchema.parse(message);
      // As intake turns them into text (shared/intake/service.ts).
      const text =
        typeof manifests === 'string'
          ? manifests
          : Array.isArray(manifests)
            ? manifests.map((m) => JSON.stringify(m)).join('\n---\n')
            : JSON.stringify(manifests);
      const results = validateSource(text, 'queue:doc');
      expect(results.length).toBeGreaterThan(0);
      expect(results.flatMap((r) => r.errors)).toEqual([]);
    }
  });

  it('gives the request ids intake derives for its examples', () => {
    expect(DOC).toContain(deriveRequestId('queue', 'ml-platform', 'change-4711'));
    expect(DOC).toContain(deriveRequestId('queue', '3f0c8a52-6a1b-4c1e-9d2e-0b7f5a8c1d44'));
  });

  it('has a Node.js recipe that computes the same ids as intake', () => {
    const [snippet] = blocks('js');
    const body = snippet!.replace(/^import .*$/m, '');
    const requestId = new Function('createHash', `${body}; return requestId;`)(createHash) as (...parts: string[]) => string;
    for (const parts of [
      ['queue', 'ml-platform', 'change-4711'],
      ['queue', 'unknown', 'k'],
      ['queue', 'a-message-id'],
    ]) {
      expect(requestId(...parts)).toBe(deriveRequestId(parts[0]!, ...parts.slice(1)));
    }
  });

  it('rejects unknown fields, as the document says', () => {
    expect(ExternalSubmissionSchema.safeParse({ manifests: 'x', type: 'github.push' }).success).toBe(false);
  });
});
