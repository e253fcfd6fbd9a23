/** Every text people see: status descriptions, the plan comment (Markdown) and Jira comments (ADF). */
import type { AdfDoc, AdfNode } from './jira';
import { truncate } from './http';
import { requestLink } from '../http/links';

/** The phases a resource's feedback moves through; a status is written once per phase at most. */
export type FeedbackPhase = 'pending' | 'success' | 'failure' | 'error';

export const PHASE_RANK: Record<FeedbackPhase, number> = { pending: 1, success: 2, failure: 2, error: 2 };

/** One changed field, as resource events carry it (`data.changes`). */
interface ChangedField {
  path: string;
  desired?: unknown;
  observed?: unknown;
  effect?: string | undefined;
}

export interface ResourceOutcome {
  kind: string;
  name: string;
  /** Resource state as events carry it: pending (Queued, Updating, Deleting, …), terminal, or Rejected. */
  state: string;
  /** What the request did to it (resource events); request events do not say, so their texts cannot either. */
  operation?: string | null;
  changes?: readonly ChangedField[];
  huaweiId?: string | null;
  reason?: string | null;
  message?: string | null;
}

/** GitHub allows 140 characters in a status description. */
const STATUS_DESCRIPTION_MAX = 140;

export function phaseOf(state: string): FeedbackPhase {
  switch (state) {
    case 'Succeeded':
    case 'Unchanged':
    case 'Deleted':
    case 'Orphaned':
      return 'success';
    case 'TimedOut':
      return 'error';
    case 'Failed':
    case 'Rejected':
    case 'Cancelled':
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

/** How a failed or timed-out operation is named; a create keeps the plain "Failed" people already know. */
const OPERATION_NOUN: Record<string, string> = { update: 'Update', recreate: 'Replace', delete: 'Delete', orphan: 'Orphan' };

/** What a queued resource waits for, by operation (a resource event's own); intake's message words the rest. */
const QUEUED_TO: Record<string, string> = {
  create: 'to be created in Huawei Cloud',
  update: 'to be updated in place in Huawei Cloud',
  recreate: 'to be replaced in Huawei Cloud',
  delete: 'to be deleted from Huawei Cloud',
  orphan: 'to be orphaned: left running, no longer managed',
};

/**
 * The adapters word effects as what applying a change will do ("restarts the notebook (stop, update, start)");
 * once it is done the status says what it did. Only known verbs are turned: an unknown effect is kept as written
 * rather than mangled. Asides in parentheses are dropped, as the status has 140 characters.
 */
const PAST: Record<string, string> = {
  restarts: 'restarted',
  restart: 'restarted',
  grows: 'grew',
  scales: 'scaled',
  replaces: 'replaced',
  orders: 'ordered',
  releases: 'released',
};

function done(effect: string): string {
  return effect
    .replace(/\s+\([^()]*\)/g, '')
    .split(';')
    .map((clause) => clause.trim())
    .filter(Boolean)
    .map((clause) => {
      // "restarts the notebook" -> "the notebook restarted", as "flavor changed" before it.
      const object = /^(\w+) (the \S+)(.*)$/.exec(clause);
      if (object && PAST[object[1]!]) return `${object[2]} ${PAST[object[1]!]}${object[3]}`;
      const subject = /^(the \S+) (\w+)(.*)$/.exec(clause);
      if (subject && PAST[subject[2]!]) return `${subject[1]} ${PAST[subject[2]!]}${subject[3]}`;
      const verb = /^(\w+)(.*)$/.exec(clause);
      return verb && PAST[verb[1]!] ? `${PAST[verb[1]!]}${verb[2]}` : clause;
    })
    .join('; ');
}

/** "flavor changed; the notebook restarted": the fields by their last name (the full paths are in the event). */
function changeSummary(changes: readonly ChangedField[] | undefined): string[] {
  if (!changes?.length) return [];
  const fields = [...new Set(changes.map((c) => c.path.split('.').pop()!.replace(/\[.*$/, '')))];
  const named = fields.length > 3 ? `${fields.slice(0, 3).join(', ')} and ${fields.length - 3} more` : fields.join(', ');
  const effects = [...new Set(changes.flatMap((c) => (c.effect ? [done(c.effect)] : [])))];
  return [`${named} changed`, ...effects];
}

function pendingDescription(outcome: ResourceOutcome): string {
  if (outcome.state === 'Updating') return 'Updating in Huawei Cloud';
  if (outcome.state === 'Deleting') return 'Deleting from Huawei Cloud';
  // request.accepted names no operation: intake's message says what a removal or a wait is for, and an
  // update cannot be told from a create until the dispatcher compares it with what is managed.
  const planned = (outcome.operation ? QUEUED_TO[outcome.operation] : undefined) || outcome.message;
  return `Queued, ${planned || 'to be applied in Huawei Cloud'}`;
}

/** One line, Huawei's words kept, cut to what GitHub accepts. */
export function statusDescription(outcome: ResourceOutcome): string {
  const why = [outcome.reason, outcome.message].filter((part): part is string => !!part && part.trim() !== '');
  const id = outcome.huaweiId ? ` (id ${outcome.huaweiId})` : '';
  const noun = outcome.operation ? OPERATION_NOUN[outcome.operation] : undefined;
  let text: string;
  switch (outcome.state) {
    case 'Succeeded':
      if (outcome.operation === 'update') {
        const summary = changeSummary(outcome.changes);
        text = summary.length ? `Updated (${summary.join('; ')})` : `Updated${id}`;
      } else if (outcome.operation === 'recreate') {
        const parts = [...changeSummary(outcome.changes).slice(0, 1), ...(outcome.huaweiId ? [`new id ${outcome.huaweiId}`] : [])];
        text = parts.length ? `Replaced (${parts.join('; ')})` : 'Replaced';
      } else {
        text = `Created${id}`;
      }
      break;
    case 'Unchanged':
      text = `Already exists, unchanged${id}`;
      break;
    case 'Deleted':
      text = 'Deleted';
      break;
    case 'Orphaned':
      text = 'Orphaned: left running, no longer managed';
      break;
    case 'Failed':
      text = `${noun ? `${noun} failed` : 'Failed'}: ${why.join(': ') || 'no reason given'}`;
      break;
    case 'TimedOut':
      text = `${noun ? `${noun} timed out` : 'Timed out'}: ${outcome.message ?? outcome.reason ?? 'not ready in time'}`;
      break;
    case 'PendingApproval':
      // The event's message names the approvers: "awaiting approval by api:bob".
      text = `Awaiting approval${/^awaiting approval( by .*)$/s.exec(outcome.message ?? '')?.[1] ?? ''}`;
      break;
    case 'Cancelled':
      text = outcome.message ? `Not created: ${outcome.message.replace(/^not created: /, '')}` : 'Not created';
      break;
    default:
      text = pendingDescription(outcome);
  }
  return truncate(text.replace(/\s+/g, ' ').trim(), STATUS_DESCRIPTION_MAX);
}

export interface RejectedDocumentLike {
  file: string;
  kind?: string;
  name?: string;
  errors: { path: string; message: string; line: number; column: number }[];
}

function errorLines(documents: readonly RejectedDocumentLike[]): string[] {
  return documents.flatMap((d) => d.errors.map((e) => `${d.file}:${e.line}:${e.column} ${e.path}: ${e.message}`));
}

export function rejectedDescription(documents: readonly RejectedDocumentLike[]): string {
  const lines = errorLines(documents);
  const first = lines[0] ?? 'the manifests could not be read';
  return truncate(
    `Rejected, nothing created: ${lines.length > 1 ? `${lines.length} errors, first: ` : ''}${first}`,
    STATUS_DESCRIPTION_MAX,
  );
}

/**
 * The request's page as statuses and comments link it, carrying a signed read-only token when a signing key is
 * configured (so a reviewer needs no account); without one, the bare page, which asks to sign in.
 */
export function requestUrl(
  publicBaseUrl: string | undefined,
  requestId: string,
  signing?: { key?: string | undefined; ttlDays?: number | undefined; now: Date },
): string | undefined {
  if (!publicBaseUrl) return undefined;
  return requestLink(publicBaseUrl, requestId, signing?.key, signing?.now ?? new Date(), signing?.ttlDays);
}

// ---------------------------------------------------------------------------------------------------------
// Plan comment (GitHub pull requests, GitLab merge requests).

type PlanVerdict = 'create' | 'exists' | 'in-progress' | 'update' | 'replace' | 'delete' | 'orphan' | 'conflict' | 'denied' | 'invalid';

export interface PlanEntry {
  file: string;
  kind?: string;
  name?: string;
  verdict: PlanVerdict;
  detail: string;
  errors: string[];
  /**
   * What merging does, line by line: `~ path: old → new (effect)` per field changed in place, `-/+ will be
   * replaced: …`, `- will be deleted`, `- will be orphaned …`, `! cannot change in place: …`.
   */
  changes?: string[];
}

const VERDICT_LABEL: Record<PlanVerdict, string> = {
  create: '➕ will be created',
  exists: '✅ already exists',
  'in-progress': '⏳ being created',
  update: '✏️ will be updated in place',
  replace: '♻️ will be replaced',
  delete: '🗑️ will be deleted',
  orphan: '➖ will be orphaned',
  conflict: '⚠️ would fail',
  denied: '⛔ denied by policy',
  invalid: '❌ invalid',
};

/*
 * Everything in a PlanEntry and the branch name comes from the pull request's author (file paths, kinds,
 * names, unknown keys echoed in errors) or from Huawei: it is rendered as code or as escaped text, never as
 * Markdown. GitHub and GitLab both parse CommonMark with GFM tables, so these rules hold for both.
 */

/** CommonMark line endings, plus the characters some renderers also break lines at. */
const LINE_BREAKS = /\r\n|[\r\n\u2028\u2029]/g;
/** Other control characters: shown as escapes so nothing invisible reaches the comment. */
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** One line of user text: a break inside it would start a new block outside our control. */
function oneLine(value: string): string {
  return value
    .replace(LINE_BREAKS, (c) => (c === '\r\n' || c === '\n' ? '\\n' : c === '\r' ? '\\r' : ' '))
    .replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Longest run of backticks in `value`. */
function longestBacktickRun(value: string): number {
  return Math.max(0, ...Array.from(value.matchAll(/`+/g), (m) => m[0].length));
}

/**
 * A code span that holds `value` literally (CommonMark: the delimiters are a backtick run of a length that
 * does not occur inside; one space each side is stripped, so padding keeps edge backticks and spaces). In a
 * table, pipes are escaped (GFM unescapes them inside code too); a backslash just before a pipe is split from
 * it, since `\\|` is read as an escaped backslash by some renderers and as an escaped pipe by others.
 */
function codeSpan(value: string, inTable: boolean): string {
  let content = oneLine(value);
  if (content === '') return '(empty)';
  if (inTable) content = content.replace(/\\(?=\|)/g, '\\\u200b').replace(/\|/g, '\\|');
  const ticks = '`'.repeat(longestBacktickRun(content) + 1);
  const pad = /^[` ]|[` ]$/.test(content) ? ' ' : '';
  return `${ticks}${pad}${content}${pad}${ticks}`;
}

/**
 * Plain text in Markdown: every character that could open inline syntax, HTML or an entity is escaped, and
 * the sigils of mentions and references (@team, #1, !1, ~label, %milestone, &epic, $snippet) are followed
 * by a zero-width joiner, since both providers link them after the Markdown is parsed, escaped or not; so
 * are bare URLs, which GFM turns into links.
 */
function escapeText(value: string): string {
  return oneLine(value)
    .replace(/[\\`*_{}[\]<>|~&$!#]/g, (c) => `\\${c}`)
    .replace(/([@#!~%&$]|:\/\/|\bwww\.)/gi, '$1\u200d');
}

/**
 * One line of a code block. Kept to one line, it starts with what the caller put first (a file path); a
 * leading slash is still broken, because GitLab runs quick actions (/merge, /approve) from any line that
 * starts with one, and tells code blocks apart with a regular expression that does not know longer fences.
 */
function codeLine(value: string): string {
  return oneLine(value).replace(/^(\s*)\//, '$1\u200b/');
}

/** A fenced block around lines made by codeLine: a fence longer than any backtick run inside cannot be closed from within. */
function fencedBlock(info: string, lines: readonly string[]): string[] {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(lines.join('\n')) + 1));
  return [`${fence}${info}`, ...lines, fence];
}

export function planSummary(entries: readonly PlanEntry[]): { state: 'success' | 'failure'; description: string } {
  const count = (v: PlanVerdict) => entries.filter((e) => e.verdict === v).length;
  const bad = count('invalid') + count('conflict') + count('denied');
  if (entries.length === 0) return { state: 'success', description: 'No manifest changes' };
  const parts = [
    count('create') ? `${count('create')} to create` : '',
    count('update') ? `${count('update')} to update` : '',
    count('replace') ? `${count('replace')} to replace` : '',
    count('delete') ? `${count('delete')} to delete` : '',
    count('orphan') ? `${count('orphan')} to orphan` : '',
    count('exists') ? `${count('exists')} already exist` : '',
    count('in-progress') ? `${count('in-progress')} being created` : '',
    count('conflict') ? `${count('conflict')} would fail` : '',
    count('denied') ? `${count('denied')} denied by policy` : '',
    count('invalid') ? `${count('invalid')} invalid` : '',
  ].filter(Boolean);
  return { state: bad > 0 ? 'failure' : 'success', description: truncate(parts.join(', '), STATUS_DESCRIPTION_MAX) };
}

/** GitHub refuses comments over 65,536 characters (GitLab allows more). */
const COMMENT_MAX = 65_000;
/** Per value, so one absurd name or message cannot crowd out the rest of the plan. */
const MAX_NAME = 200;
const MAX_FILE = 300;
const MAX_DETAIL = 500;
const MAX_ERROR_LINE = 1_000;
/** Lines per block (changes, errors), before the comment's own limit. */
const MAX_BLOCK_LINES = 200;

const sizeOf = (lines: readonly string[]) => lines.reduce((n, line) => n + line.length + 1, 0);

/** The leading lines that fit in `budget`; whole lines only, so no code span or fence is ever cut open. */
function fitting(lines: readonly string[], budget: number): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > budget) break;
    kept.push(line);
    used += line.length + 1;
  }
  return kept;
}

/** A details block of code lines, as much of it as `budget` allows; the lines of one resource follow its header. */
function detailsBlock(summary: string, info: string, lines: readonly string[], budget: number, what: string): string[] {
  if (lines.length === 0) return [];
  const listed = lines.slice(0, MAX_BLOCK_LINES);
  const shown = fitting(listed, budget);
  if (shown.length < lines.length) shown.push(`… ${lines.length - shown.length} more ${what} not shown`);
  return ['', `<details open><summary>${summary}</summary>`, '', ...fencedBlock(info, shown), '</details>'];
}

export function planMarkdown(entries: readonly PlanEntry[], ctx: { head: string; baseRef: string }): string {
  const summary = planSummary(entries);
  const top = [PLAN_MARKER, `### hwc-provisioner plan for ${codeSpan(ctx.head.slice(0, 7), false)}`, ''];
  const bottom = ['', `<sub>Updated for ${escapeText(ctx.head)} · edited in place on every push</sub>`];
  if (entries.length === 0) return [...top, 'This change touches no manifest: nothing would change.', ...bottom].join('\n');

  const baseRef = truncate(ctx.baseRef, MAX_NAME);
  const intro = [
    `**${summary.description}.** Nothing changes in Huawei Cloud until this is merged into ${codeSpan(baseRef, false)}.`,
    '',
    '| resource | file | plan |',
    '|---|---|---|',
  ];
  const label = (e: PlanEntry) => (e.kind && e.name ? `${truncate(e.kind, MAX_NAME)}/${truncate(e.name, MAX_NAME)}` : undefined);
  const rows = entries.map((e) => {
    const resource = label(e) ? codeSpan(label(e)!, true) : '(unnamed document)';
    const detail = e.detail ? `: ${escapeText(truncate(e.detail, MAX_DETAIL))}` : '';
    return `| ${resource} | ${codeSpan(truncate(e.file, MAX_FILE), true)} | ${VERDICT_LABEL[e.verdict]}${detail} |`;
  });
  // Per resource, a hunk-like header and its lines: a diff block colours removals, and reads as one in plain text.
  const changes = entries
    .filter((e) => e.changes?.length)
    .flatMap((e) => [
      codeLine(truncate(`@@ ${label(e) ?? '(unnamed document)'} · ${e.file} @@`, MAX_ERROR_LINE)),
      ...e.changes!.map((line) => codeLine(truncate(line, MAX_ERROR_LINE))),
    ]);
  const errors = entries.flatMap((e) => e.errors).map((line) => codeLine(truncate(line, MAX_ERROR_LINE)));
  // Room for the "not shown" lines and the blocks around changes and errors, whose fences are no longer than a clipped line.
  const reserve = 600 + 4 * MAX_ERROR_LINE;
  let budget = COMMENT_MAX - sizeOf(top) - sizeOf(bottom) - sizeOf(intro) - reserve;

  const shownRows = fitting(rows, budget);
  budget -= sizeOf(shownRows);
  if (shownRows.length < rows.length) shownRows.push(`| … | | ${rows.length - shownRows.length} more not shown |`);

  const changeBlock = detailsBlock('Changes', 'diff', changes, budget, 'lines');
  budget -= sizeOf(changeBlock);
  const errorBlock = detailsBlock('Errors', 'text', errors, budget, 'errors');
  return [...top, ...intro, ...shownRows, ...changeBlock, ...errorBlock, ...bottom].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Jira comments in Atlassian Document Format.

const text = (value: string, marks?: AdfNode['marks']): AdfNode => ({
  type: 'text',
  text: value === '' ? '—' : value,
  ...(marks ? { marks } : {}),
});
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
    paragraph(
      ...intro('accepted', requestId, url),
      text(`: ${resources.length} resource${resources.length === 1 ? '' : 's'} queued for creation.`),
    ),
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

/** The approval as a Jira comment: what it waits for and how to give it, or what was decided. */
export function jiraApprovalComment(
  requestId: string,
  approval: { state: string; approvers: readonly string[]; reasons: readonly string[]; expiresAt: string; history: readonly HistoryLike[] },
  resources: readonly ResourceOutcome[],
  how: { url?: string; approvalStatus?: string },
): AdfDoc {
  const last = approval.history.at(-1);
  const who = approval.approvers.length > 0 ? approval.approvers.join(', ') : 'any holder of the approve role';
  const list = {
    type: 'bulletList',
    content: resources.map((r) => ({ type: 'listItem', content: [paragraph(code(`${r.kind}/${r.name}`))] })),
  };
  switch (approval.state) {
    case 'Pending': {
      const ways = [
        ...(how.approvalStatus ? [`move this ticket to ${how.approvalStatus} (someone other than its reporter)`] : []),
        `POST /requests/${requestId}/approve with a token holding the approve role`,
      ];
      return doc(
        paragraph(...intro('holds', requestId, how.url), text(`: awaiting approval by ${who} before anything is created.`)),
        list,
        paragraph(text(`Why: ${approval.reasons.join('; ')}.`)),
        paragraph(text(`To approve: ${ways.join(', or ')}. Nobody deciding by ${approval.expiresAt} ends the request unapproved.`)),
      );
    }
    case 'Approved':
      return doc(paragraph(...intro('queued', requestId, how.url), text(`: approved by ${last?.by ?? 'an approver'}.`)), list);
    default: {
      const why =
        approval.state === 'Expired'
          ? `nobody approved it before ${approval.expiresAt}`
          : `rejected by ${last?.by ?? 'an approver'}${last?.comment ? `: ${last.comment}` : ''}`;
      return doc(paragraph(...intro('ended', requestId, how.url), text(`: ${why}. Nothing was created.`)), list);
    }
  }
}

interface HistoryLike {
  by: string;
  comment?: string | undefined;
}

const STATE_WORDS: Record<string, string> = { Succeeded: 'succeeded', Failed: 'failed', PartiallyFailed: 'partially failed' };

export function jiraCompletedComment(requestId: string, state: string, resources: readonly ResourceOutcome[], url?: string): AdfDoc {
  const headerCell = (value: string): AdfNode => ({ type: 'tableHeader', attrs: {}, content: [paragraph(strong(value))] });
  const dataCell = (node: AdfNode): AdfNode => ({ type: 'tableCell', attrs: {}, content: [paragraph(node)] });
  return doc(paragraph(...intro('finished', requestId, url), text(`: ${STATE_WORDS[state] ?? state}.`)), {
    type: 'table',
    attrs: { isNumberColumnEnabled: false, layout: 'default' },
    content: [
      { type: 'tableRow', content: ['Resource', 'State', 'Huawei id', 'Reason'].map(headerCell) },
      ...resources.map((r) => ({
        type: 'tableRow',
        content: [
          dataCell(code(`${r.kind}/${r.name}`)),
          dataCell(text(r.state)),
          dataCell(text(r.huaweiId ?? '')),
          dataCell(text([r.reason, r.message].filter(Boolean).join(': '))),
        ],
      })),
    ],
  });
}
