/** Every text people see: status descriptions, the plan comment (Markdown) and Jira comments (ADF). */
import type { AdfDoc, AdfNode } from './jira';
import { truncate } from './http';

/** The phases a resource's feedback moves through; a status is written once per phase at most. */
export type FeedbackPhase = 'pending' | 'success' | 'failure' | 'error';

export const PHASE_RANK: Record<FeedbackPhase, number> = { pending: 1, success: 2, failure: 2, error: 2 };

export interface ResourceOutcome {
  kind: string;
  name: string;
  /** Resource state as the events carry it (Queued, Succeeded, Unchanged, Failed, TimedOut, Rejected). */
  state: string;
  huaweiId?: string | null;
  reason?: string | null;
  message?: string | null;
}

/** GitHub allows 140 characters in a status description. */
export const STATUS_DESCRIPTION_MAX = 140;

export function phaseOf(state: string): FeedbackPhase {
  switch (state) {
    case 'Succeeded':
    case 'Unchanged':
      return 'success';
    case 'TimedOut':
      return 'error';
    case 'Failed':
    case 'Rejected':
      return 'failure';
    default:
      return 'pending';
  }
}

export function statusContext(kind: string, name: string): string {
  return `hwc-provisioner/${kind}/${name}`;
}

export const REJECTED_CONTEXT = 'hwc-provisioner/manifests';
export const PLAN_CONTEXT = 'hwc-provisioner/plan';
export const PLAN_MARKER = '<!-- hwc-provisioner:plan -->';

/** One line, Huawei's words kept, cut to what GitHub accepts. */
export function statusDescription(outcome: ResourceOutcome): string {
  const why = [outcome.reason, outcome.message].filter((part): part is string => !!part && part.trim() !== '');
  let text: string;
  switch (outcome.state) {
    case 'Succeeded':
      text = `Created${outcome.huaweiId ? ` (id ${outcome.huaweiId})` : ''}`;
      break;
    case 'Unchanged':
      text = `Already exists, unchanged${outcome.huaweiId ? ` (id ${outcome.huaweiId})` : ''}`;
      break;
    case 'Failed':
      text = `Failed: ${why.join(': ') || 'no reason given'}`;
      break;
    case 'TimedOut':
      text = `Timed out: ${outcome.message ?? outcome.reason ?? 'not ready in time'}`;
      break;
    default:
      text = 'Queued for creation in Huawei Cloud';
  }
  return truncate(text.replace(/\s+/g, ' ').trim(), STATUS_DESCRIPTION_MAX);
}

export interface RejectedDocumentLike {
  file: string;
  kind?: string;
  name?: string;
  errors: { path: string; message: string; line: number; column: number }[];
}

export function errorLines(documents: readonly RejectedDocumentLike[]): string[] {
  return documents.flatMap((d) => d.errors.map((e) => `${d.file}:${e.line}:${e.column} ${e.path}: ${e.message}`));
}

export function rejectedDescription(documents: readonly RejectedDocumentLike[]): string {
  const lines = errorLines(documents);
  const first = lines[0] ?? 'the manifests could not be read';
  return truncate(`Rejected, nothing created: ${lines.length > 1 ? `${lines.length} errors, first: ` : ''}${first}`, STATUS_DESCRIPTION_MAX);
}

export function requestUrl(publicBaseUrl: string | undefined, requestId: string): string | undefined {
  return publicBaseUrl ? `${publicBaseUrl.replace(/\/$/, '')}/requests/${requestId}` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Plan comment (GitHub pull requests, GitLab merge requests).

export type PlanVerdict = 'create' | 'exists' | 'in-progress' | 'conflict' | 'invalid';

export interface PlanEntry {
  file: string;
  kind?: string;
  name?: string;
  verdict: PlanVerdict;
  detail: string;
  errors: string[];
}

const VERDICT_LABEL: Record<PlanVerdict, string> = {
  create: '➕ will be created',
  exists: '✅ already exists',
  'in-progress': '⏳ being created',
  conflict: '⚠️ would fail',
  invalid: '❌ invalid',
};

/** Keeps user text from breaking out of a table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function planSummary(entries: readonly PlanEntry[]): { state: 'success' | 'failure'; description: string } {
  const count = (v: PlanVerdict) => entries.filter((e) => e.verdict === v).length;
  const bad = count('invalid') + count('conflict');
  if (entries.length === 0) return { state: 'success', description: 'No manifest changes' };
  const parts = [
    count('create') ? `${count('create')} to create` : '',
    count('exists') ? `${count('exists')} already exist` : '',
    count('in-progress') ? `${count('in-progress')} being created` : '',
    count('conflict') ? `${count('conflict')} would fail` : '',
    count('invalid') ? `${count('invalid')} invalid` : '',
  ].filter(Boolean);
  return { state: bad > 0 ? 'failure' : 'success', description: truncate(parts.join(', '), STATUS_DESCRIPTION_MAX) };
}

export function planMarkdown(entries: readonly PlanEntry[], ctx: { head: string; baseRef: string }): string {
  const summary = planSummary(entries);
  const lines = [PLAN_MARKER, `### hwc-provisioner plan for \`${ctx.head.slice(0, 7)}\``, ''];
  if (entries.length === 0) {
    lines.push('This change touches no manifest: nothing would be created.');
  } else {
    lines.push(`**${summary.description}.** Nothing is created until this is merged into \`${ctx.baseRef}\`.`, '');
    lines.push('| resource | file | plan |', '|---|---|---|');
    for (const e of entries) {
      const resource = e.kind && e.name ? `\`${e.kind}/${e.name}\`` : '(unnamed document)';
      lines.push(`| ${cell(resource)} | \`${cell(e.file)}\` | ${cell(`${VERDICT_LABEL[e.verdict]}${e.detail ? `: ${e.detail}` : ''}`)} |`);
    }
    const errors = entries.flatMap((e) => e.errors);
    if (errors.length > 0) lines.push('', '<details open><summary>Errors</summary>', '', '```text', ...errors.slice(0, 200), '```', '</details>');
  }
  lines.push('', `<sub>Updated for ${ctx.head} · edited in place on every push</sub>`);
  // GitHub's comment limit is 65,536 characters; a plan that long is cut, the marker stays at the top.
  return truncate(lines.join('\n'), 65_000);
}

// ---------------------------------------------------------------------------------------------------------
// Jira comments in Atlassian Document Format.

const text = (value: string, marks?: AdfNode['marks']): AdfNode => ({ type: 'text', text: value === '' ? '—' : value, ...(marks ? { marks } : {}) });
const strong = (value: string) => text(value, [{ type: 'strong' }]);
const code = (value: string) => text(value, [{ type: 'code' }]);
const link = (value: string, href: string) => text(value, [{ type: 'link', attrs: { href } }]);
const paragraph = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content });
const doc = (...content: AdfNode[]): AdfDoc => ({ type: 'doc', version: 1, content });

function intro(verb: string, requestId: string, url: string | undefined): AdfNode[] {
  return [strong('hwc-provisioner'), text(` ${verb} request `), url ? link(requestId, url) : code(requestId)];
}

export function jiraAcceptedComment(requestId: string, resources: readonly ResourceOutcome[], url?: string): AdfDoc {
  return doc(
    paragraph(...intro('accepted', requestId, url), text(`: ${resources.length} resource${resources.length === 1 ? '' : 's'} queued for creation.`)),
    {
      type: 'bulletList',
      content: resources.map((r) => ({ type: 'listItem', content: [paragraph(code(`${r.kind}/${r.name}`))] })),
    },
    paragraph(text('The results will be posted here when every resource is done.')),
  );
}

export function jiraRejectedComment(requestId: string, documents: readonly RejectedDocumentLike[], url?: string): AdfDoc {
  const lines = errorLines(documents).slice(0, 100);
  return doc(
    paragraph(...intro('rejected', requestId, url), text(': nothing was created. Fix these errors in the yaml blocks of the description:')),
    { type: 'codeBlock', attrs: { language: 'text' }, content: [text(lines.join('\n') || 'the manifests could not be read')] },
  );
}

const STATE_WORDS: Record<string, string> = { Succeeded: 'succeeded', Failed: 'failed', PartiallyFailed: 'partially failed' };

export function jiraCompletedComment(requestId: string, state: string, resources: readonly ResourceOutcome[], url?: string): AdfDoc {
  const headerCell = (value: string): AdfNode => ({ type: 'tableHeader', attrs: {}, content: [paragraph(strong(value))] });
  const dataCell = (node: AdfNode): AdfNode => ({ type: 'tableCell', attrs: {}, content: [paragraph(node)] });
  return doc(
    paragraph(...intro('finished', requestId, url), text(`: ${STATE_WORDS[state] ?? state}.`)),
    {
      type: 'table',
      attrs: { isNumberColumnEnabled: false, layout: 'default' },
      content: [
        { type: 'tableRow', content: ['Resource', 'State', 'Huawei id', 'Reason'].map(headerCell) },
        ...resources.map((r) => ({
          type: 'tableRow',
          content: [dataCell(code(`${r.kind}/${r.name}`)), dataCell(text(r.state)), dataCell(text(r.huaweiId ?? '')), dataCell(text([r.reason, r.message].filter(Boolean).join(': ')))],
        })),
      ],
    },
  );
}
