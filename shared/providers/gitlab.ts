/** GitLab REST v4: the base URL and headers every call uses, for intake's reader and the notifier alike, and approval reads. */
import * as z from 'zod';
import { builtOnFirstUse } from '../lazy';
import { type ApprovalReadSettings, answerOf, type MergedReviewApprovals, transportOf } from './github';
import { providerFetch, trimBase } from './http';

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

/** Built on first use: only the reviewed-merge check reads these answers, and most invocations make none. */
const answers = builtOnFirstUse(() => {
  const UserSchema = z.looseObject({ username: z.string().min(1).max(255) });

  const CommitMergeRequestsSchema = z.array(
    z.looseObject({
      iid: z.number().int().positive(),
      state: z.string().max(64),
      sha: z.string().nullish(),
      merge_commit_sha: z.string().nullish(),
      squash_commit_sha: z.string().nullish(),
      web_url: z.string().max(2048).optional(),
      author: UserSchema.nullish(),
    }),
  );

  const ApprovalsSchema = z.looseObject({
    approved_by: z.array(z.looseObject({ user: UserSchema.nullish() })).nullish(),
  });
  return { CommitMergeRequestsSchema, ApprovalsSchema };
});

/**
 * The merge request that merged `commit` into the project (numeric id or group/project path) and who approved it, or
 * undefined when no merged merge request brought the commit (a direct push). The merge request's author is never
 * counted among the approvers, whatever the project lets authors do.
 */
export async function gitlabMergedApprovals(
  settings: ApprovalReadSettings,
  projectIdOrPath: string | number,
  commit: string,
): Promise<MergedReviewApprovals | undefined> {
  const api = gitlabApi(settings);
  const transport = transportOf(settings);
  const headers = api.headers();
  const project = api.project(projectIdOrPath);
  const what = `GitLab merge requests of ${projectIdOrPath}@${commit.slice(0, 8)}`;
  const response = await providerFetch(transport, {
    url: `${project}/repository/commits/${encodeURIComponent(commit)}/merge_requests?per_page=100`,
    headers,
    what,
  });
  const merged = (await answerOf(response, answers().CommitMergeRequestsSchema, what)).filter((mr) => mr.state === 'merged');
  // The pushed commit is the merge commit, the squash commit, or (fast-forward) the merge request's own head.
  const mr = merged.find((m) => m.merge_commit_sha === commit || m.squash_commit_sha === commit || m.sha === commit) ?? merged[0];
  if (!mr) return undefined;

  const author = mr.author?.username;
  // Usernames are unique regardless of case, so a differently-cased author is still the author.
  const isAuthor = (username: string) => username.toLowerCase() === author?.toLowerCase();
  const approvalsWhat = `GitLab approvals of ${projectIdOrPath}!${mr.iid}`;
  const answer = await providerFetch(transport, { url: `${project}/merge_requests/${mr.iid}/approvals`, headers, what: approvalsWhat });
  const approvers = new Set<string>();
  for (const approval of (await answerOf(answer, answers().ApprovalsSchema, approvalsWhat)).approved_by ?? []) {
    const username = approval.user?.username;
    if (username && !isAuthor(username)) approvers.add(username);
  }
  return { number: mr.iid, ...(mr.web_url ? { url: mr.web_url } : {}), approvers: [...approvers].sort(), ...(author ? { author } : {}) };
}
