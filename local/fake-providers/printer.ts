/** What the fake providers receive, as the readable blocks `npm start -- --fake-providers` prints. */
import type { FeedbackRecord } from './feedback';

interface AdfNode {
  type?: string;
  text?: string;
  marks?: { type?: string; attrs?: { href?: string } }[];
  content?: AdfNode[];
}

function inline(node: AdfNode): string {
  if (node.type === 'hardBreak') return '\n';
  if (node.type === 'text') {
    const text = node.text ?? '';
    const marks = node.marks ?? [];
    const href = marks.find((m) => m.type === 'link')?.attrs?.href;
    if (marks.some((m) => m.type === 'code')) return `\`${text}\``;
    return href && href !== text ? `${text} (${href})` : text;
  }
  return (node.content ?? []).map(inline).join('');
}

function table(node: AdfNode): string[] {
  const rows = (node.content ?? []).map((row) =>
    (row.content ?? []).map((cell) => (cell.content ?? []).map(inline).join(' ').replace(/\n/g, ' ')),
  );
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  const hasHeader = (node.content?.[0]?.content ?? []).some((cell) => cell.type === 'tableHeader');
  const out = rows.map(line);
  if (hasHeader && out.length > 0) out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('-+-'));
  return out;
}

function block(node: AdfNode): string[] {
  switch (node.type) {
    case 'doc':
    case 'panel':
      return (node.content ?? []).flatMap(block);
    case 'paragraph':
    case 'heading':
      return inline(node).split('\n');
    case 'bulletList':
    case 'orderedList':
      return (node.content ?? []).flatMap((item, i) => {
        const [first = '', ...rest] = (item.content ?? []).flatMap(block);
        const bullet = node.type === 'bulletList' ? '• ' : `${i + 1}. `;
        return [`${bullet}${first}`, ...rest.map((l) => `${' '.repeat(bullet.length)}${l}`)];
      });
    case 'codeBlock':
      return inline(node)
        .split('\n')
        .map((l) => `    ${l}`);
    case 'table':
      return table(node);
    case 'rule':
      return ['----'];
    default:
      return [inline(node)];
  }
}

/** Atlassian Document Format as plain text: what a Jira reader sees, without the styling. */
export function adfToText(doc: unknown): string {
  return block((doc ?? {}) as AdfNode).join('\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l ? `    ${l}` : ''))
    .join('\n');

/** One block per record, prefixed like the event printer's `[event]` lines. */
export function formatRecord(record: FeedbackRecord): string {
  switch (record.type) {
    case 'status': {
      const s = record.status;
      const repository = /^\d+$/.test(s.repository) ? `project ${s.repository}` : s.repository;
      const head = `[${s.provider}] status ${s.state} on ${repository}@${s.sha.slice(0, 8)}  ${s.context}`;
      return [head, s.description ? `    ${s.description}` : '', s.target_url ? `    ${s.target_url}` : ''].filter(Boolean).join('\n');
    }
    case 'comment': {
      const c = record.comment;
      // GitLab plans address the project by its numeric id.
      const project = /^\d+$/.test(c.repository) ? `project ${c.repository}` : c.repository;
      const where = c.provider === 'github' ? `pull request ${c.repository}#${c.number}` : `merge request ${project}!${c.number}`;
      const what = c.provider === 'github' ? 'comment' : 'note';
      return (
        `[${c.provider}] ${what} ${c.id} ` +
        `${record.action === 'created' ? 'created on' : `edited (edit ${c.edits}) on`} ${where}:\n${indent(c.body)}`
      );
    }
    case 'jira': {
      const j = record.jira;
      if (j.kind === 'transition')
        return `[jira] transition ${j.key} → ${String((j.body as { transition?: { id?: unknown } }).transition?.id)}`;
      return `[jira] comment on ${j.key}:\n${indent(adfToText(j.body))}`;
    }
    case 'delivery': {
      const d = record.delivery;
      let event: { type?: string; subject?: string } = {};
      try {
        event = JSON.parse(d.body) as typeof event;
      } catch {
        // shown as is below
      }
      const check = d.verified ? 'signature verified' : 'SIGNATURE INVALID';
      return (
        `[webhook] ${d.subscriber} received ${event.type ?? '(not JSON)'} ${event.subject ?? ''}\n` +
        `    webhook-id ${d.headers['webhook-id'] ?? '-'}, ${check}, answered ${d.status}`
      );
    }
    case 'refused':
      return `[fake] REFUSED ${record.method} ${record.path}: ${record.reason}`;
  }
}
