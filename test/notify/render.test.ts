import { describe, expect, it } from 'vitest';
import { verifyLink } from '../../shared/http/links';
import { jiraAcceptedComment, requestUrl } from '../../shared/notify/render';

const KEY = 'ui-signing-key-for-render-tests-0123456789';
const ID = 'req_3v6h1c0x4k2m8n5p7q9r1s3t5v';
const NOW = new Date('2026-12-01T10:00:00Z');

describe('requestUrl: where statuses and comments link', () => {
  it('links the request page with a token for that request when a signing key is configured', () => {
    const url = new URL(requestUrl('https://hwcp.example.com/', ID, { key: KEY, ttlDays: 3, now: NOW })!);
    expect(`${url.origin}${url.pathname}`).toBe(`https://hwcp.example.com/ui/requests/${ID}`);
    expect(verifyLink(url.searchParams.get('t')!, KEY, NOW, ID)).toEqual({
      requestId: ID,
      expiresAt: new Date(NOW.getTime() + 3 * 86_400_000).toISOString(),
    });
  });

  it('links the bare page without a key (it asks to sign in), and nothing without PUBLIC_BASE_URL', () => {
    expect(requestUrl('https://hwcp.example.com', ID, { now: NOW })).toBe(`https://hwcp.example.com/ui/requests/${ID}`);
    expect(requestUrl('https://hwcp.example.com', ID)).toBe(`https://hwcp.example.com/ui/requests/${ID}`);
    expect(requestUrl(undefined, ID, { key: KEY, now: NOW })).toBeUndefined();
  });

  it('puts the signed link on the request id of a Jira comment', () => {
    const url = requestUrl('https://hwcp.example.com', ID, { key: KEY, now: NOW })!;
    const comment = jiraAcceptedComment(ID, [{ kind: 'Notebook', name: 'nb', state: 'Queued' }], url);
    expect(JSON.stringify(comment)).toContain(JSON.stringify({ type: 'link', attrs: { href: url } }));
  });
});
