/**
 * A local OpenID Connect issuer for `npm start` and tests: oidc-provider (a certified implementation) on
 * 127.0.0.1 with one confidential client, PKCE required, and a login page that asks only for a user name. It
 * has no passwords: it is for this machine only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { KoaLikeContext } from 'oidc-provider';

export interface LocalOidcUser {
  name?: string;
  groups?: string[];
  /** Sent as the `jira_account_id` claim, which sign-in turns into the identity `jira:<id>`. */
  jiraAccountId?: string;
}

export interface OidcIssuerOptions {
  /** By user name (the `sub` and `preferred_username` claims). */
  users: Record<string, LocalOidcUser>;
  clientId?: string;
  clientSecret?: string;
  /** Exact redirect URIs the client may use (the app's `${PUBLIC_BASE_URL}/ui/callback`). */
  redirectUris: string[];
  port?: number;
}

export interface RunningOidcIssuer {
  url: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export const LOCAL_OIDC_CLIENT = { clientId: 'hwc-provisioner-local', clientSecret: 'local-client-secret-not-for-production' };

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function loginPage(uid: string, users: string[], problem?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (local issuer)</title></head>
<body><main><h1>Sign in to the local issuer</h1>
<p>No password: this issuer runs on this machine for trying hwc-provisioner. Users: ${users.map(escapeHtml).join(', ')}.</p>
${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="username">User name</label> <input id="username" name="username" autocomplete="username" autofocus required>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) break;
  }
  return new URLSearchParams(text);
}

/**
 * oidc-provider warns about choices meant for production (its in-memory store, Node 20 not being its supported
 * LTS); neither matters to an issuer that lives as long as `npm start`, so they are dropped while it starts.
 */
async function quietly<T>(start: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING:')) warn(...args);
  };
  try {
    return await start();
  } finally {
    console.warn = warn;
  }
}

export async function startOidcIssuer(opts: OidcIssuerOptions): Promise<RunningOidcIssuer> {
  const { default: Provider } = await quietly(() => import('oidc-provider'));
  const clientId = opts.clientId ?? LOCAL_OIDC_CLIENT.clientId;
  const clientSecret = opts.clientSecret ?? LOCAL_OIDC_CLIENT.clientSecret;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = await quietly(
    async () =>
      new Provider(url, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: opts.redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'local', alg: 'RS256', use: 'sig' }] },
        cookies: { keys: [clientSecret] },
        pkce: { required: () => true },
        features: { devInteractions: { enabled: false } },
        claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups', 'jira_account_id'] },
        interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
        findAccount: (_ctx: unknown, id: string) => {
          const user = opts.users[id];
          if (!user) return undefined;
          return {
            accountId: id,
            claims: () => ({
              sub: id,
              preferred_username: id,
              name: user.name ?? id,
              ...(user.groups ? { groups: user.groups } : {}),
              ...(user.jiraAccountId ? { jira_account_id: user.jiraAccountId } : {}),
            }),
          };
        },
        // The one client is this service itself: consent is implied, so only the login prompt is ever shown.
        loadExistingGrant: async (ctx: KoaLikeContext) => {
          const { client, session, result } = ctx.oidc;
          if (!client || !session?.accountId) return undefined;
          const existing = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
          if (existing) return provider.Grant.find(existing);
          const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
          grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
          await grant.save();
          return grant;
        },
        // Explicit, or the provider notes each default it falls back on; a sign-in takes minutes, a session an hour.
        ttl: { Interaction: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Session: 3600, Grant: 3600 },
      }),
  );
  const callback = provider.callback();
  const users = Object.keys(opts.users);

  const interaction = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'POST' && path.endsWith('/login')) {
      const username = (await formBody(req)).get('username')?.trim() ?? '';
      if (opts.users[username]) {
        await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
        return;
      }
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(details.uid, users, `No user ${username.slice(0, 64)} here.`));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(details.uid, users));
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', url).pathname;
    if (!path.startsWith('/interaction/')) return callback(req, res);
    interaction(req, res, path).catch((error: Error) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`sign-in could not continue: ${error.message}`);
    });
  });

  return {
    url,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
