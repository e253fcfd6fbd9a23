import { describe, expect, it } from 'vitest';
import { decidePush } from '../../shared/intake/push-events';
import { deriveRequestId, randomRequestId, REQUEST_ID_PATTERN } from '../../shared/intake/ids';

describe('request ids', () => {
  it('derives the same id for the same delivery and different ids otherwise', () => {
    const a = deriveRequestId('github', '72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(a).toBe(deriveRequestId('github', '72d3162e-cc78-11e3-81ab-4c9367dc0958'));
    expect(a).not.toBe(deriveRequestId('gitlab', '72d3162e-cc78-11e3-81ab-4c9367dc0958'));
    expect(a).toMatch(REQUEST_ID_PATTERN);
  });

  it('keeps namespace and parts apart (no ambiguity from concatenation)', () => {
    expect(deriveRequestId('jira', 'A-1', 'x')).not.toBe(deriveRequestId('jira', 'A-1x', ''));
  });

  it('makes random ids of the same shape', () => {
    const ids = new Set(Array.from({ length: 100 }, randomRequestId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(REQUEST_ID_PATTERN);
  });
});

describe('decidePush', () => {
  const sha = 'a'.repeat(40);
  it('accepts the default branch when no branches are configured', () => {
    expect(decidePush('refs/heads/main', sha, sha, 'o/r', 'main', [])).toEqual({
      action: 'accept',
      job: { repository: 'o/r', branch: 'main', before: sha, after: sha },
    });
  });
  it('uses the configured branches instead of the default one', () => {
    expect(decidePush('refs/heads/main', sha, sha, 'o/r', 'main', ['release']).action).toBe('ignore');
    expect(decidePush('refs/heads/release', sha, sha, 'o/r', 'main', ['release']).action).toBe('accept');
  });
  it('ignores tags and deleted branches', () => {
    expect(decidePush('refs/tags/v1', sha, sha, 'o/r', 'main', [])).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('not a branch'),
    });
    expect(decidePush('refs/heads/main', sha, '0'.repeat(40), 'o/r', 'main', [])).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('deleted'),
    });
  });
});
