/** GitLab REST (v4) calls for feedback: commit statuses, and notes on a merge request. */
import { gitlabApi } from '../providers/gitlab';
import { callJson, type HttpSettings } from './http';
import { ProviderApiError } from '../providers/http';
import type { CommentApi } from './state';

export type GitlabStatusState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export interface GitlabStatus {
  state: GitlabStatusState;
  name: string;
  description: string;
  target_url?: string;
}

export interface GitlabFeedbackOptions {
  apiUrl: string;
  token: string;
  http: HttpSettings;
}

const MAX_NOTE_PAGES = 10;

/**
 * GitLab refuses to re-apply a state a status already has ("Cannot transition status via :enqueue from
 * :pending"): the status is what we wanted, so that 400 is a success.
 */
const isSameStateRefusal = (status: number, text: string) => status === 400 && /cannot transition status/i.test(text);

export function gitlabFeedback(opts: GitlabFeedbackOptions) {
  const api = gitlabApi(opts);
  const headers = api.headers(true);
  const project = api.project;
  return {
    async setStatus(projectId: string | number, sha: string, status: GitlabStatus): Promise<void> {
      await callJson(opts.http, {
        method: 'POST',
        url: `${project(projectId)}/statuses/${encodeURIComponent(sha)}`,
        headers,
        body: JSON.stringify(status),
        what: `GitLab status ${status.name} on ${projectId}@${sha.slice(0, 8)}`,
        acceptError: isSameStateRefusal,
      });
    },

    notes(projectId: string | number, iid: number, marker: string): CommentApi {
      const notes = `${project(projectId)}/merge_requests/${iid}/notes`;
      return {
        async find() {
          for (let page = 1; page <= MAX_NOTE_PAGES; page++) {
            const { body } = await callJson<{ id: number; body?: string; system?: boolean }[]>(opts.http, {
              method: 'GET',
              url: `${notes}?per_page=100&page=${page}&sort=asc`,
              headers,
              what: `GitLab notes of !${iid}`,
            });
            const list = body ?? [];
            const mine = list.find((n) => !n.system && (n.body ?? '').includes(marker));
            if (mine) return String(mine.id);
            if (list.length < 100) return undefined;
          }
          return undefined;
        },
        async create(text) {
          const { body } = await callJson<{ id: number }>(opts.http, {
            method: 'POST',
            url: notes,
            headers,
            body: JSON.stringify({ body: text }),
            what: `GitLab note on !${iid}`,
          });
          if (!body?.id) throw new ProviderApiError(`GitLab note on !${iid}: no id in the answer`, 201, false);
          return String(body.id);
        },
        async update(id, text) {
          try {
            await callJson(opts.http, {
              method: 'PUT',
              url: `${notes}/${encodeURIComponent(id)}`,
              headers,
              body: JSON.stringify({ body: text }),
              what: `GitLab note ${id} on !${iid}`,
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
export type GitlabFeedback = ReturnType<typeof gitlabFeedback>;
