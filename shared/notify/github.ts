/** GitHub REST calls for feedback: commit statuses on a sha, and issue comments on a pull request. */
import { githubApi } from '../providers/github';
import { callJson, type HttpSettings } from './http';
import { ProviderApiError } from '../providers/http';
import type { CommentApi } from './state';

type GithubStatusState = 'pending' | 'success' | 'failure' | 'error';

export interface GithubStatus {
  state: GithubStatusState;
  context: string;
  description: string;
  target_url?: string;
}

export interface GithubFeedbackOptions {
  apiUrl: string;
  token: string;
  http: HttpSettings;
}

/** Comments scanned for our marker: 10 pages of 100 covers any real pull request's conversation. */
const MAX_COMMENT_PAGES = 10;

export function githubFeedback(opts: GithubFeedbackOptions) {
  const api = githubApi(opts);
  const headers = api.headers(undefined, true);
  const repoPath = api.repo;
  return {
    async setStatus(repository: string, sha: string, status: GithubStatus): Promise<void> {
      await callJson(opts.http, {
        method: 'POST',
        url: `${repoPath(repository)}/statuses/${encodeURIComponent(sha)}`,
        headers,
        body: JSON.stringify(status),
        what: `GitHub status ${status.context} on ${repository}@${sha.slice(0, 7)}`,
      });
    },

    /** The pull request's comment thread as a CommentApi keyed by a hidden marker in the body. */
    comments(repository: string, number: number, marker: string): CommentApi {
      const issue = `${repoPath(repository)}/issues`;
      return {
        async find() {
          for (let page = 1; page <= MAX_COMMENT_PAGES; page++) {
            const { body } = await callJson<{ id: number; body?: string }[]>(opts.http, {
              method: 'GET',
              url: `${issue}/${number}/comments?per_page=100&page=${page}`,
              headers,
              what: `GitHub comments of ${repository}#${number}`,
            });
            const list = body ?? [];
            const mine = list.find((c) => (c.body ?? '').includes(marker));
            if (mine) return String(mine.id);
            if (list.length < 100) return undefined;
          }
          return undefined;
        },
        async create(text) {
          const { body } = await callJson<{ id: number }>(opts.http, {
            method: 'POST',
            url: `${issue}/${number}/comments`,
            headers,
            body: JSON.stringify({ body: text }),
            what: `GitHub comment on ${repository}#${number}`,
          });
          if (!body?.id) throw new ProviderApiError(`GitHub comment on ${repository}#${number}: no id in the answer`, 201, false);
          return String(body.id);
        },
        async update(id, text) {
          try {
            await callJson(opts.http, {
              method: 'PATCH',
              url: `${issue}/comments/${encodeURIComponent(id)}`,
              headers,
              body: JSON.stringify({ body: text }),
              what: `GitHub comment ${id} on ${repository}`,
            });
            return true;
          } catch (error) {
            if (error instanceof ProviderApiError && error.status === 404) return false;
            throw error;
          }
        },
      };
    },
  };
}
export type GithubFeedback = ReturnType<typeof githubFeedback>;
