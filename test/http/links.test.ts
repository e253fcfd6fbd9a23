import { describe, expect, it } from 'vitest';
import { LinkTokenError, requestLink, signLink, verifyLink } from '../../shared/http/links';

const KEY = 'ui-signing-key-for-tests-0123456789abcdef';
const ID = 'req_3v6h1c0x4k2m8n5p7q9r1s3t5v';
const OTHER = 'req_0000000000000000000000000a';
const NOW = new Date('2026-12-01T10:00:00Z');
const DAY = 86_400_000;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof LinkTokenError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('signed request links', () => {
  it('opens its request until the expiry, 30 days by default', () => {
    const token = signLink(ID, KEY, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(token.length).toBeLessThan(100);
    expect(verifyLink(token, KEY, new Date(NOW.getTime() + 29 * DAY), ID)).toEqual({
      requestId: ID,
      expiresAt: new Date(NOW.getTime() + 30 * DAY).toISOString(),
    });
    expect(refusal(() => verifyLink(token, KEY, new Date(NOW.getTime() + 30 * DAY), ID))).toBe('LINK_EXPIRED');
  });

  it('takes its lifetime from the caller (LINK_TTL_DAYS)', () => {
    const token = signLink(ID, KEY, NOW, 2);
    expect(verifyLink(token, KEY, new Date(NOW.getTime() + DAY), ID).expiresAt).toBe(new Date(NOW.getTime() + 2 * DAY).toISOString());
    expect(refusal(() => verifyLink(token, KEY, new Date(NOW.getTime() + 2 * DAY + 1000)))).toBe('LINK_EXPIRED');
  });

  it('refuses a token for another request', () => {
    expect(refusal(() => verifyLink(signLink(OTHER, KEY, NOW), KEY, NOW, ID))).toBe('LINK_WRONG_REQUEST');
  });

  it('refuses a token whose request, expiry or signature was changed, or signed with another key', () => {
    const token = signLink(ID, KEY, NOW);
    const [id, expiry, mac] = token.split('.') as [string, string, string];
    // Moving the expiry a year on, pointing the token at another request, flipping one signature character.
    const later = (Number.parseInt(expiry, 36) + 365 * 86_400).toString(36);
    expect(refusal(() => verifyLink(`${id}.${later}.${mac}`, KEY, NOW))).toBe('LINK_TAMPERED');
    expect(refusal(() => verifyLink(`${OTHER}.${expiry}.${mac}`, KEY, NOW, OTHER))).toBe('LINK_TAMPERED');
    const flipped = `${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`;
    expect(refusal(() => verifyLink(`${id}.${expiry}.${flipped}`, KEY, NOW))).toBe('LINK_TAMPERED');
    expect(refusal(() => verifyLink(token, `${KEY}-rotated`, NOW))).toBe('LINK_TAMPERED');
  });

  it('refuses what is not a token at all, without echoing it', () => {
    for (const bad of ['', 'abc', `${ID}.zz`, `${ID}.1.${'A'.repeat(42)}`, `${ID}.1.${'A'.repeat(43)}=`, `../${ID}.1.${'A'.repeat(43)}`]) {
      expect(refusal(() => verifyLink(bad, KEY, NOW))).toBe('LINK_MALFORMED');
    }
    try {
      verifyLink('secret-looking-value', KEY, NOW);
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-looking-value');
    }
  });

  it('builds the page link, with a token only when a key is configured', () => {
    const link = requestLink('https://hwcp.example.com/', ID, KEY, NOW);
    const url = new URL(link);
    expect(`${url.origin}${url.pathname}`).toBe(`https://hwcp.example.com/ui/requests/${ID}`);
    expect(verifyLink(url.searchParams.get('t')!, KEY, NOW, ID).requestId).toBe(ID);
    expect(requestLink('https://hwcp.example.com', ID, undefined, NOW)).toBe(`https://hwcp.example.com/ui/requests/${ID}`);
  });
});
