/** Jira Cloud REST v3: the base URL and headers every call uses, with basic auth (email:API token). */
import { trimBase } from './http';

export function jiraApi(opts: { baseUrl: string; email: string; apiToken: string }) {
  const base = trimBase(opts.baseUrl);
  return {
    issue: (key: string) => `${base}/rest/api/3/issue/${encodeURIComponent(key)}`,
    headers: (): Record<string, string> => ({
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'hwc-provisioner',
      authorization: `Basic ${Buffer.from(`${opts.email}:${opts.apiToken}`).toString('base64')}`,
    }),
  };
}
