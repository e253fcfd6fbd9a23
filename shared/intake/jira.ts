/** Jira: manifests are the yaml code blocks of an issue's description, in Markdown, wiki markup or ADF. */
import { z } from 'zod';
import type { SourceFile } from './submit';

export const JIRA_EVENTS = ['jira:issue_created', 'jira:issue_updated'] as const;

export const JiraIssueEventSchema = z.looseObject({
  webhookEvent: z.string(),
  issue: z.looseObject({
    key: z.string().regex(/^[A-Z][A-Z0-9_]*-\d+$/),
    self: z.string().optional(),
    fields: z.looseObject({ description: z.unknown().optional() }).optional(),
  }),
});
export type JiraIssueEvent = z.infer<typeof JiraIssueEventSchema>;

const FENCED = /^[ \t]*(`{3,}|~{3,})[ \t]*(ya?ml)[ \t]*\r?\n([\s\S]*?)^[ \t]*\1[ \t]*$/gim;
const WIKI = /\{code:(?:language=)?(ya?ml)(?:\|[^}]*)?\}([\s\S]*?)\{code\}/gi;

interface AdfNode {
  type?: string;
  text?: string;
  attrs?: { language?: string };
  content?: AdfNode[];
}

function adfBlocks(node: AdfNode, out: string[], depth = 0): void {
  if (depth > 64 || !node || typeof node !== 'object') return;
  if (node.type === 'codeBlock' && /^ya?ml$/i.test(node.attrs?.language ?? '')) {
    out.push((node.content ?? []).map((c) => c.text ?? '').join(''));
    return;
  }
  if (Array.isArray(node.content)) for (const child of node.content) adfBlocks(child, out, depth + 1);
}

/** The yaml blocks of a description: a string (Markdown fences or {code:yaml}) or an ADF document. */
export function extractYamlBlocks(description: unknown): string[] {
  const blocks: string[] = [];
  if (typeof description === 'string') {
    for (const m of description.matchAll(FENCED)) blocks.push(m[3]!);
    for (const m of description.matchAll(WIKI)) blocks.push(m[2]!.replace(/^\r?\n/, ''));
  } else if (description && typeof description === 'object') {
    adfBlocks(description as AdfNode, blocks);
  }
  return blocks;
}

/** Each block becomes a source named after the ticket, so errors read `PROJ-12#yaml-2:3:5 ...`. */
export function ticketSources(ticket: string, blocks: readonly string[]): SourceFile[] {
  return blocks.map((text, i) => ({ file: `${ticket}#yaml-${i + 1}`, text }));
}
