/** A browser's part of an OpenID Connect sign-in against the local issuer, over real sockets with fetch. */
import { expect } from 'vitest';

/** A browser's cookie store, reduced to what the flow needs: per origin, by name, dropped when expired. */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();
  /** The raw Set-Cookie lines last received per cookie name, to assert their attributes. */
  readonly lines = new Map<string, string>();
  header(url: string): string {
    return [...(this.jars.get(new URL(url).origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      this.lines.set(name, line);
      if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }
  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).origin)?.get(name);
  }
}

export async function step(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, response);
  return response;
}

const location = (response: Response, base: string) => new URL(response.headers.get('location')!, base).toString();

/** Steps 1-5 of a sign-in: to the issuer, its login form, and back, stopping before the app's callback is called. */
export async function signInUntilCallback(
  jar: CookieJar,
  { appUrl, issuerUrl, username, returnTo }: { appUrl: string; issuerUrl: string; username: string; returnTo: string },
): Promise<string> {
  const login = await step(jar, `${appUrl}/ui/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(login.status).toBe(302);
  const authorize = new URL(location(login, appUrl));
  expect(authorize.origin).toBe(issuerUrl);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('state')).toBeTruthy();
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  let response = await step(jar, authorize.toString());
  let url = location(response, issuerUrl);
  const form = await step(jar, url);
  const page = await form.text();
  expect(page).toContain('<input id="username" name="username"');
  expect(page).toMatch(/<button type="submit">Sign in<\/button>/);
  const action = new URL(/action="([^"]+)"/.exec(page)![1]!, issuerUrl).toString();
  response = await step(jar, action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username }).toString(),
  });
  expect(response.status).toBe(303);
  url = location(response, issuerUrl);
  // Back at the authorization endpoint, which now answers with the code.
  for (let i = 0; i < 3 && new URL(url).origin === issuerUrl; i++) {
    response = await step(jar, url);
    url = location(response, issuerUrl);
  }
  expect(url.startsWith(`${appUrl}/ui/callback?`)).toBe(true);
  return url;
}
