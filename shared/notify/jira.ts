/** Jira Cloud REST v3 calls for feedback: ADF comments and workflow transitions, with basic auth (email:API token). */
import { jiraApi } from '../providers/jira';
import { callJson, type HttpSettings } from './http';

export interface JiraFeedbackOptions {
  baseUrl: string;
  email: string;
  apiToken: string;
  http: HttpSettings;
}

/** An Atlassian Document Format node; only what the comments use. */
export interface AdfNode {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  content?: AdfNode[];
}

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

export function jiraFeedback(opts: JiraFeedbackOptions) {
  const api = jiraApi(opts);
  const headers = api.headers();
  const issue = api.issue;
  return {
    async addComment(key: string, body: AdfDoc): Promise<string | undefined> {
      const result = await callJson<{ id?: string }>(opts.http, {
        method: 'POST',
        url: `${issue(key)}/comment`,
        headers,
        body: JSON.stringify({ body }),
        what: `Jira comment on ${key}`,
      });
      return result.body?.id;
    },
    async transition(key: string, transitionId: string): Promise<void> {
      await callJson(opts.http, {
        method: 'POST',
        url: `${issue(key)}/transitions`,
        headers,
        body: JSON.stringify({ transition: { id: transitionId } }),
        what: `Jira transition ${transitionId} of ${key}`,
      });
    },
  };
}
export type JiraFeedback = ReturnType<typeof jiraFeedback>;
