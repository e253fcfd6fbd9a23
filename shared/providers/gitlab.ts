/** GitLab REST v4: the base URL and headers every call uses, for intake's reader and the notifier alike. */
import { trimBase } from './http';

export function gitlabApi(opts: { apiUrl: string; token?: string | undefined }) {
  const base = trimBase(opts.apiUrl);
  return {
    // The API takes a numeric id or the URL-encoded path with namespace (group%2Fproject).
    project: (id: string | number) => `${base}/projects/${encodeURIComponent(String(id))}`,
    headers: (json = false): Record<string, string> => ({
      ...(json ? { 'content-type': 'application/json', accept: 'application/json' } : {}),
      'user-agent': 'hwc-provisioner',
      ...(opts.token ? { 'private-token': opts.token } : {}),
    }),
  };
}
