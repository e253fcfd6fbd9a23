/**
 * The plan comment carries text a pull request's author wrote (file paths, kinds, names, unknown keys echoed
 * in errors): none of it may leave the code it is shown in. Checked against the CommonMark/GFM rules the
 * providers render with, written out below, on comments built by the real pipeline.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planFiles } from '../../shared/intake/plan-jobs';
import type { AdfDoc, AdfNode } from '../../shared/notify/jira';
import { jiraAcceptedComment, jiraCompletedComment, jiraRejectedComment, planMarkdown, type PlanEntry } from '../../shared/notify/render';

const EDGE = readFileSync('examples/edge-deployment.yaml', 'utf8');
const HEAD = 'a'.repeat(40);

/** Documents that are all invalid never reach the table, so no store is needed. */
const noStore = {
  store: { table: { ddb: undefined as never, tableName: 'unused' }, now: () => new Date() },
  defaults: { projectId: 'p0123', region: 'cn-north-4' },
};
const plan = (files: { file: string; text: string }[]) => planFiles(noStore, files, { provider: 'github', repository: 'acme/infra' });

/** Lines of `markdown` outside fenced code blocks, by CommonMark's rules for fences. */
function linesOutsideFences(markdown: string): string[] {
  const out: string[] = [];
  let open: { char: string; length: number } | undefined;
  for (const line of markdown.split(/\r\n|\r|\n/)) {
    if (!open) {
      const opening = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
      if (opening && !(opening[1]!.startsWith('`') && opening[2]!.includes('`'))) {
        open = { char: opening[1]![0]!, length: opening[1]!.length };
        continue;
      }
      out.push(line);
    } else {
      const closing = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (closing && closing[1]![0] === open.char && closing[1]!.length >= open.length) open = undefined;
    }
  }
  return out;
}

/** Inline text with its code spans removed: a backtick run opens a span closed by the next run of the same length. */
function outsideCodeSpans(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '`' && text[i - 1] !== '\\') {
      let n = 0;
      while (text[i + n] === '`') n++;
      let j = i + n;
      let close = -1;
      while (j < text.length) {
        if (text[j] === '`') {
          let m = 0;
          while (text[j + m] === '`') m++;
          if (m === n) {
            close = j;
            break;
          }
          j += m;
        } else j++;
      }
      if (close < 0) {
        out += text.slice(i, i + n);
        i += n;
      } else i = close + n;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/**
 * Cells of a GFM table row: a pipe after an odd number of backslashes is escaped. After an even number it is
 * read differently by different implementations, so the comment must hold none of those.
 */
function cells(row: string): string[] {
  expect(row).not.toMatch(/(?<!\\)(\\\\)+\|/);
  return row.split(/(?<!(?<!\\)\\(?:\\\\)*)\|/).slice(1, -1);
}

/** A mention or reference that would notify or link: `@team`, `#1`, `!1` not broken by an invisible joiner. */
const LIVE_MENTION = /(?<![\w`])[@#!~%&$](?!\u200d)[A-Za-z0-9]/;
/** Markdown or HTML that would take effect outside code (escaped characters are preceded by a backslash). */
const LIVE_MARKUP = /(?<!\\)[<*_[\]~]/;

describe('the plan comment keeps what the author wrote inert', () => {
  it('an unknown key holding a code fence stays inside the errors block, whatever fence it holds', async () => {
    for (const fence of ['```', '````', '~~~', '``````````']) {
      const evil = EDGE.replace('spec:\n', `spec:\n  ${JSON.stringify(`x\n${fence}\nApproved by @acme/security\n${fence}\ny`)}: 1\n`);
      const entries = await plan([{ file: 'provisioning/edge.yaml', text: evil }]);
      expect(entries).toEqual([expect.objectContaining({ verdict: 'invalid' })]);
      const body = planMarkdown(entries, { head: HEAD, baseRef: 'main' });
      // Still shown to the author, but only as code.
      expect(body).toContain('Approved by @acme/security');
      const outside = linesOutsideFences(body).join('\n');
      expect(outside).not.toContain('Approved by');
      expect(outside).toContain('<sub>Updated for');
    }
  });

  it('no line starts with a slash, so GitLab runs no quick action from an error', async () => {
    const evil = EDGE.replace('spec:\n', `spec:\n  ${JSON.stringify('x\n/merge\n/approve')}: 1\n`);
    const entries = await plan([{ file: 'provisioning/edge.yaml', text: evil }]);
    const body = planMarkdown(entries, { head: HEAD, baseRef: 'main' });
    expect(body).toContain('/merge');
    for (const line of body.split(/\r\n|\r|\n/)) expect(line).not.toMatch(/^\s*\//);
  });

  it('kinds, names and file paths with backticks, pipes and markup stay in their code spans and cells', async () => {
    const kind = 'Note`book | <img src=x onerror=alert(1)> @acme/security';
    const name = 'a`` @acme/security ``b\\|c';
    const file = 'provisioning/`x`|y\\|z\r| @acme/ops |.yaml';
    const text = `apiVersion: hwc-provisioner/v1\nkind: ${JSON.stringify(kind)}\nmetadata:\n  name: ${JSON.stringify(name)}\nspec: {}\n`;
    const entries = await plan([{ file, text }]);
    expect(entries).toEqual([expect.objectContaining({ kind, name, verdict: 'invalid' })]);
    const body = planMarkdown(entries, { head: HEAD, baseRef: 'release`@acme/security`' });
    const rows = linesOutsideFences(body).filter((l) => l.startsWith('|') && !l.startsWith('|---') && !l.startsWith('| resource'));
    expect(rows).toHaveLength(1);
    const row = cells(rows[0]!);
    expect(row).toHaveLength(3);
    for (const cell of row) {
      expect(outsideCodeSpans(cell)).not.toMatch(LIVE_MENTION);
      expect(outsideCodeSpans(cell)).not.toMatch(LIVE_MARKUP);
    }
    for (const line of linesOutsideFences(body).filter((l) => !l.startsWith('<'))) expect(outsideCodeSpans(line)).not.toMatch(LIVE_MENTION);
  });

  it('a detail that quotes the author or Huawei is escaped text: no link, emphasis, HTML or mention', () => {
    const entries: PlanEntry[] = [
      {
        file: 'provisioning/nb.yaml',
        kind: 'Notebook',
        name: 'nb',
        verdict: 'conflict',
        detail:
          'Huawei Cloud already has a Notebook named [ok](https://evil.example) *Approved* by @acme/security <b>#12</b> !3 | `x` \\| y',
        errors: [],
      },
    ];
    const body = planMarkdown(entries, { head: HEAD, baseRef: 'main' });
    const row = cells(linesOutsideFences(body).find((l) => l.startsWith('| `Notebook/nb`'))!);
    expect(row).toHaveLength(3);
    const plain = outsideCodeSpans(row[2]!);
    expect(plain).not.toMatch(LIVE_MENTION);
    expect(plain).not.toMatch(LIVE_MARKUP);
    expect(plain).not.toMatch(/(?<!\\)`/);
  });

  it('a plan too long for one comment leaves whole rows and errors out, never half a code span', () => {
    const entries: PlanEntry[] = Array.from({ length: 3_000 }, (_, i) => ({
      file: `provisioning/team-${i}/\`nb\`.yaml`,
      kind: 'Notebook',
      name: `nb-${i} @acme/security`,
      verdict: 'invalid' as const,
      detail: '1 error',
      errors: [`provisioning/team-${i}/nb.yaml:1:1 spec: unknown field "\`\`\`\`"`],
    }));
    const body = planMarkdown(entries, { head: HEAD, baseRef: 'main' });
    expect(body.length).toBeLessThanOrEqual(65_000);
    const outside = linesOutsideFences(body);
    const rows = outside.filter((l) => l.startsWith('| ') && !l.startsWith('| resource'));
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) {
      expect(cells(row)).toHaveLength(3);
      expect(outsideCodeSpans(row)).not.toMatch(LIVE_MENTION);
    }
    expect(rows.at(-1)).toMatch(/more not shown/);
    expect(outside.at(-1)).toMatch(/^<sub>Updated for/);
  });

  it('keeps ordinary text readable', async () => {
    const entries = await plan([{ file: 'provisioning/edge.yaml', text: EDGE.replace('replicas: 1', 'replicas: "many"') }]);
    const body = planMarkdown(entries, { head: HEAD, baseRef: 'main' });
    expect(body).toContain('| `EdgeDeployment/app` | `provisioning/edge.yaml` | ❌ invalid: 1 error |');
    expect(body).toContain('\n```text\nprovisioning/edge.yaml:');
    expect(body).toContain('Nothing changes in Huawei Cloud until this is merged into `main`.');
  });
});

describe('Jira comments are ADF: no wiki markup is interpreted', () => {
  const WIKI = '{code}x{code} {noformat}y{noformat} [~accountid:5b10a2844c20165700ede21g] @acme/security ``` *b* h1. title';

  /** Every node and mark, so nothing but our own structure and literal text appears. */
  function walk(node: AdfNode | AdfDoc, seen: { types: Set<string>; marks: Set<string>; texts: string[] }) {
    seen.types.add(node.type);
    if ('text' in node && node.text !== undefined) seen.texts.push(node.text);
    for (const mark of ('marks' in node ? node.marks : undefined) ?? []) seen.marks.add(mark.type);
    for (const child of node.content ?? []) walk(child, seen);
    return seen;
  }
  const allowedTypes = new Set([
    'doc',
    'paragraph',
    'text',
    'codeBlock',
    'bulletList',
    'listItem',
    'table',
    'tableRow',
    'tableHeader',
    'tableCell',
  ]);

  it('puts file names, paths and messages into text nodes verbatim', () => {
    const rejected = jiraRejectedComment('r1', [
      { file: `OPS-1 ${WIKI}`, errors: [{ path: WIKI, message: `x\n${WIKI}`, line: 1, column: 1 }] },
    ]);
    const accepted = jiraAcceptedComment('r1', [{ kind: 'Notebook', name: WIKI, state: 'Queued' }]);
    const completed = jiraCompletedComment('r1', 'Failed', [
      { kind: WIKI, name: 'nb', state: 'Failed', huaweiId: WIKI, reason: WIKI, message: WIKI },
    ]);
    for (const doc of [rejected, accepted, completed]) {
      const seen = walk(doc, { types: new Set(), marks: new Set(), texts: [] });
      expect([...seen.types].filter((t) => !allowedTypes.has(t))).toEqual([]);
      expect([...seen.marks].filter((m) => m !== 'strong' && m !== 'code')).toEqual([]);
      expect(seen.texts.some((t) => t.includes(WIKI))).toBe(true);
    }
    const block = rejected.content.find((n) => n.type === 'codeBlock')!;
    expect(block.content).toEqual([{ type: 'text', text: `OPS-1 ${WIKI}:1:1 ${WIKI}: x\n${WIKI}` }]);
  });
});
