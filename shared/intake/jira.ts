/** Jira: manifests are the yaml code blocks of an issue's description, in Markdown, wiki markup or ADF. */
import * as z from 'zod';
import { builtOnFirstUse } from '../lazy';
import type { SourceFile } from './submit';

export const JIRA_EVENTS = ['jira:issue_created', 'jira:issue_updated'] as const;

/** Built on first use, as are the transition's schemas below: intake reads tickets' blocks, never a delivery. */
export const jiraIssueEventSchema = builtOnFirstUse(() =>
  z.looseObject({
    webhookEvent: z.string(),
    issue: z.looseObject({
      /** Jira project keys are at most 255 characters (10 by default); the bound keeps the key out of oversized items. */
      key: z
        .string()
        .max(280)
        .regex(/^[A-Z][A-Z0-9_]*-\d+$/),
      self: z.string().max(2048).optional(),
      fields: z.looseObject({ description: z.unknown().optional() }).optional(),
    }),
  }),
);

/**
 * Jira caps a description at 32,767 characters; anything longer is not from Jira and is not scanned.
 * (The scanners below are linear, but the cap keeps their work bounded whatever a signed sender posts.)
 */
export const MAX_DESCRIPTION_CHARS = 32_767;
const OPENER = /^[ \t]*(`{3,}|~{3,})[ \t]*ya?ml[ \t]*$/i;
const CLOSER = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;
const WIKI_OPEN = /\{code:(?:language=)?ya?ml(?:\|[^}]*)?\}/gi;

interface AdfNode {
  type?: string;
  text?: string;
  attrs?: { language?: string };
  content?: AdfNode[];
}

function adfBlocks(node: AdfNode, out: string[], depth = 0): void {
  if (depth > 64 || !node || typeof node !== 'object') return;
  if (node.type === 'codeBlock' && /^ya?ml$/i.test(node.attrs?.language ?? '')) {
    // Payloads are only signed, not trusted to be well-formed ADF.
    const parts = Array.isArray(node.content) ? node.content : [];
    out.push(parts.map((c) => (c && typeof c.text === 'string' ? c.text : '')).join(''));
    return;
  }
  if (Array.isArray(node.content)) for (const child of node.content) adfBlocks(child, out, depth + 1);
}

/** The yaml blocks of a description: a string (Markdown fences or {code:yaml}) or an ADF document. */
export function extractYamlBlocks(description: unknown): string[] {
  return scanDescription(description).blocks;
}

/**
 * As extractYamlBlocks, and says when a string description was longer than the cap: its blocks past the cap
 * are not read, and the request must say so rather than provision part of the ticket.
 */
export function scanDescription(description: unknown): { blocks: string[]; descriptionChars?: number } {
  const blocks: string[] = [];
  if (typeof description === 'string') {
    const text = description.slice(0, MAX_DESCRIPTION_CHARS);
    blocks.push(...fencedBlocks(text), ...wikiBlocks(text));
    if (description.length > MAX_DESCRIPTION_CHARS) return { blocks, descriptionChars: description.length };
  } else if (description && typeof description === 'object') {
    adfBlocks(description as AdfNode, blocks);
  }
  return { blocks };
}

/** Why a ticket whose description was cut is rejected as a whole. */
export function descriptionTooLong(chars: number): string {
  return (
    `the description is ${chars} characters, over Jira's limit of ${MAX_DESCRIPTION_CHARS}; it was not ` +
    'read past that point, so nothing was provisioned from this ticket (split its manifests across tickets)'
  );
}

/** Each block becomes a source named after the ticket, so errors read `PROJ-12#yaml-2:3:5 ...`. */
export function ticketSources(ticket: string, blocks: readonly string[]): SourceFile[] {
  return blocks.map((text, i) => ({ file: `${ticket}#yaml-${i + 1}`, text }));
}

/**
 * Markdown fences (```yaml or ~~~yaml, closed by the same fence on a line of its own), scanned line by line:
 * a regex with a lazy body goes quadratic on many unclosed fences. A block keeps its bytes, final newline included.
 */
function fencedBlocks(text: string): string[] {
  const lines: { start: number; end: number; text: string }[] = [];
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline + 1;
    lines.push({ start, end, text: text.slice(start, newline === -1 ? text.length : newline).replace(/\r$/, '') });
    if (newline === -1) break;
    start = end;
  }
  // A fence with no closer after some line has none after any later line either: remember, so each fence scans once.
  const unclosedFrom = new Map<string, number>();
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = OPENER.exec(lines[i]!.text)?.[1];
    if (!fence || (unclosedFrom.get(fence) ?? Infinity) <= i) continue;
    let close = -1;
    for (let j = i + 1; j < lines.length; j++) {
      if (CLOSER.exec(lines[j]!.text)?.[1] === fence) {
        close = j;
        break;
      }
    }
    if (close === -1) {
      unclosedFrom.set(fence, i);
      continue;
    }
    blocks.push(text.slice(lines[i]!.end, lines[close]!.start));
    i = close;
  }
  return blocks;
}

/** Wiki markup: {code:yaml} ... {code}; an opener with no {code} after it ends the scan (none later can close). */
function wikiBlocks(text: string): string[] {
  const blocks: string[] = [];
  WIKI_OPEN.lastIndex = 0;
  for (let m = WIKI_OPEN.exec(text); m; m = WIKI_OPEN.exec(text)) {
    const bodyStart = m.index + m[0].length;
    const close = text.indexOf('{code}', bodyStart);
    if (close === -1) break;
    blocks.push(text.slice(bodyStart, close).replace(/^\r?\n/, ''));
    WIKI_OPEN.lastIndex = close + '{code}'.length;
  }
  return blocks;
}

/** A ticket's move into another status, as a `jira:issue_updated` webhook reports it. */
export interface JiraTransition {
  ticket: string;
  toStatus: string;
  fromStatus?: string;
  /** Who moved the ticket. */
  actor: { id: string; displayName?: string };
  /** Absent when the ticket has no reporter or the payload does not name one: separation of duties cannot be checked. */
  reporter?: { id: string; displayName?: string };
}

const transitionSchemas = builtOnFirstUse(() => {
  /** A Jira-assigned value that names something on a ticket: bounded, so a signed sender cannot grow a stored item with it. */
  const JiraNameSchema = z.string().trim().min(1).max(255);

  /**
   * A user as webhooks carry one: Jira Cloud names users by accountId (at most 128 characters); Server and Data Center
   * by name (the username) and key.
   */
  const JiraUserSchema = z.looseObject({
    accountId: z.string().min(1).max(128).optional(),
    name: JiraNameSchema.optional(),
    key: JiraNameSchema.optional(),
    displayName: z.string().max(255).optional(),
  });

  const TransitionPayloadSchema = z.looseObject({
    issue: z.looseObject({
      key: jiraIssueEventSchema().shape.issue.shape.key,
      fields: z.looseObject({ reporter: JiraUserSchema.nullish() }).nullish(),
    }),
    user: JiraUserSchema,
  });

  /** The two names a status changelog item carries; `toString` is read as an own property, never Object.prototype's. */
  const StatusChangeSchema = z.object({ toString: JiraNameSchema, fromString: JiraNameSchema.nullish() });
  return { JiraUserSchema, TransitionPayloadSchema, StatusChangeSchema };
});
type JiraUser = z.infer<ReturnType<typeof transitionSchemas>['JiraUserSchema']>;

/** A status transition that cannot be attributed or read: it must not count as anyone's approval. */
export class JiraTransitionError extends Error {
  readonly code = 'JIRA_TRANSITION_INVALID';
  constructor(
    /** Where in the payload, as `changelog.items[1].toString`. */
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'JiraTransitionError';
  }
}

const pathText = (path: readonly PropertyKey[]) =>
  path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, at: readonly PropertyKey[]): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new JiraTransitionError(pathText([...at, ...issue.path]), issue.message);
}

const own = (value: object, key: string): unknown => (Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined);

/** Cloud's accountId is the identity; Server and Data Center have no accountId, and name their users by name, else key. */
function identityOf(user: JiraUser): { id: string; displayName?: string } | undefined {
  const id = user.accountId ?? user.name ?? user.key;
  if (id === undefined) return undefined;
  return { id, ...(user.displayName ? { displayName: user.displayName } : {}) };
}

/**
 * The status transition a jira:issue_updated payload carries, or undefined (no changelog status item). When an update
 * changes the status more than once, the last item is where the ticket ended up.
 * Throws JiraTransitionError when there is a status item but the ticket, the statuses or the actor cannot be read.
 */
export function statusTransitionOf(payload: unknown): JiraTransition | undefined {
  if (!payload || typeof payload !== 'object' || own(payload, 'webhookEvent') !== 'jira:issue_updated') return undefined;
  const changelog = own(payload, 'changelog');
  const items = changelog && typeof changelog === 'object' ? own(changelog, 'items') : undefined;
  if (!Array.isArray(items)) return undefined;
  const index = items.findLastIndex(
    (item: unknown) => !!item && typeof item === 'object' && own(item, 'field') === 'status' && own(item, 'fieldtype') === 'jira',
  );
  if (index === -1) return undefined;
  const item = items[index] as object;
  const change = parseOrThrow(
    transitionSchemas().StatusChangeSchema,
    { toString: own(item, 'toString'), fromString: own(item, 'fromString') },
    ['changelog', 'items', index],
  );
  const { issue, user } = parseOrThrow(transitionSchemas().TransitionPayloadSchema, payload, []);
  const actor = identityOf(user);
  if (!actor) throw new JiraTransitionError('user', 'names nobody: no accountId (Cloud), name or key (Server, Data Center)');
  const reporter = issue.fields?.reporter ? identityOf(issue.fields.reporter) : undefined;
  return {
    ticket: issue.key,
    toStatus: change.toString,
    ...(change.fromString ? { fromStatus: change.fromString } : {}),
    actor,
    ...(reporter ? { reporter } : {}),
  };
}

/** Whether the ticket moved into the approval status (JIRA_APPROVAL_STATUS): compared trimmed and case-insensitively. */
export function isApprovalTransition(t: JiraTransition, approvalStatus: string): boolean {
  const wanted = approvalStatus.trim().toLowerCase();
  return wanted !== '' && t.toStatus.trim().toLowerCase() === wanted;
}

/**
 * The ticket's reporter, the requester its approval must come from someone else than; undefined when the payload
 * names none that can be read (then only the approvers list, if any, limits who approves).
 */
export function reporterOf(payload: unknown): string | undefined {
  const parsed = transitionSchemas().TransitionPayloadSchema.shape.issue.safeParse(
    payload && typeof payload === 'object' ? own(payload, 'issue') : undefined,
  );
  const reporter = parsed.success ? parsed.data.fields?.reporter : undefined;
  return reporter ? identityOf(reporter)?.id : undefined;
}
