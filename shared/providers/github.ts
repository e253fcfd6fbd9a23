/** GitHub REST: the base URL and headers every call uses, for intake's reader and the notifier alike. */
import { trimBase } from './http';

export const GITHUB_JSON = 'application/vnd.github+json';
export const GITHUB_RAW = 'application/vnd.github.raw+json';

export function githubApi(opts: { apiUrl: string; token?: string | undefined }) {
  const base = trimBase(opts.apiUrl);
  return {
    /** `owner/name`, each part encoded: a name is never allowed to add path segments or a query. */
    repo: (repository: string) => `${base}/repos/${repository.split('/').map(encodeURIComponent).join('/')}`,
    headers: (accept: string = GITHUB_JSON, json = false): Record<string, string> => ({
      accept,
      ...(json ? { 'content-type': 'application/json' } : {}),
      'x-github-api-version': '2022-11-28',
      'user-agent': 'hwc-provisioner',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    }),
  };
}
