/**
 * The HTTP API the request commands (submit, status, watch, resources) talk to: where it is (--api-url or
 * HWCP_API_URL), who calls (the bearer token HWCP_TOKEN), and its answers turned into one-line CLI errors.
 */
import { CliError, UsageError } from './io';

export interface ApiEnv {
  HWCP_API_URL?: string;
  HWCP_TOKEN?: string;
}

/** The API's error body, `{ error: { code, message, details } }`, as far as a response holds one. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export interface Api {
  /** The base URL, without a trailing slash. */
  url: string;
  request(method: 'GET' | 'POST', path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<Response>;
  /** The exit-2 error for an answer the command does not handle itself (401, 403, 404, 5xx...). */
  failure(response: Response, what: string): Promise<CliError>;
}

/** Reads the error body of a failed answer; an answer that is not the API's JSON (a proxy's page) still gets a code. */
export async function errorOf(response: Response): Promise<ApiErrorBody> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: Partial<ApiErrorBody> };
    if (body.error && typeof body.error.code === 'string') {
      return { code: body.error.code, message: String(body.error.message ?? ''), details: body.error.details };
    }
  } catch {
    // Not JSON: answered below from the status alone.
  }
  return { code: `HTTP_${response.status}`, message: text.slice(0, 200).trim() };
}

/** Where the API is and the token to call it with, or a usage error saying which is missing. */
export function connect(apiUrlOption: string | undefined, env: ApiEnv, usage: string, doFetch: typeof fetch = fetch): Api {
  const url = (apiUrlOption ?? env.HWCP_API_URL)?.replace(/\/+$/, '');
  if (!url) throw new UsageError('no API: give --api-url or set HWCP_API_URL (npm start prints it)', usage);
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`the API URL must be http(s)://..., not ${JSON.stringify(url)}`, usage);
  const token = env.HWCP_TOKEN;
  if (!token) throw new UsageError('no token: set HWCP_TOKEN (one of API_TOKENS; npm start prints the local one)', usage);
  return {
    url,
    async request(method, path, init = {}) {
      try {
        return await doFetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...init.headers },
          ...(init.body !== undefined ? { body: init.body } : {}),
        });
      } catch (error) {
        throw new CliError('API_UNREACHABLE', `cannot reach ${url}: ${(error as Error).message}`, 2);
      }
    },
    async failure(response, what) {
      if (response.status === 401) return new CliError('UNAUTHORIZED', 'the API refused HWCP_TOKEN', 2);
      const { code, message } = await errorOf(response);
      return new CliError(code, `${what} answered ${response.status} ${code}${message ? `: ${message}` : ''}`, 2);
    },
  };
}
