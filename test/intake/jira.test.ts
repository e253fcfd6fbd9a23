import { describe, expect, it } from 'vitest';
import { extractYamlBlocks, MAX_DESCRIPTION_CHARS, ticketSources } from '../../shared/intake/jira';

describe('extractYamlBlocks', () => {
  it('finds Markdown fences tagged yaml or yml, ignoring other languages', () => {
    const description = 'Please create:\n```yaml\na: 1\n```\nand\n```json\n{"x":1}\n```\n~~~yml\nb: 2\n~~~\n';
    expect(extractYamlBlocks(description)).toEqual(['a: 1\n', 'b: 2\n']);
  });

  it('accepts CRLF line endings and a longer fence that only its own length closes', () => {
    expect(extractYamlBlocks('```yaml\r\na: 1\r\n```\r\n')).toEqual(['a: 1\r\n']);
    expect(extractYamlBlocks('````yaml\na: |\n  ```\n````\n')).toEqual(['a: |\n  ```\n']);
  });

  it('skips unclosed fences and still finds the closed blocks after them', () => {
    // Thousands of unclosed openers: a lazy regex rescans the rest of the text from each one.
    const hostile = `${'```yaml\n'.repeat(3_000)}~~~yaml\nb: 2\n~~~\n${'{code:yaml}'.repeat(1_000)}`;
    expect(extractYamlBlocks(hostile)).toEqual(['b: 2\n']);
  });

  it('reads at most the length Jira allows a description', () => {
    const late = `${'x'.repeat(MAX_DESCRIPTION_CHARS)}\n\`\`\`yaml\na: 1\n\`\`\`\n`;
    expect(extractYamlBlocks(late)).toEqual([]);
  });

  it('finds wiki-markup code blocks', () => {
    expect(extractYamlBlocks('{code:yaml}\nkind: Notebook\n{code}\n{code:java}x{code}')).toEqual(['kind: Notebook\n']);
  });

  it('finds ADF code blocks at any depth', () => {
    const adf = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'hello' }] },
        {
          type: 'codeBlock',
          attrs: { language: 'yaml' },
          content: [
            { type: 'text', text: 'a: 1\n' },
            { type: 'text', text: 'b: 2' },
          ],
        },
        { type: 'panel', content: [{ type: 'codeBlock', attrs: { language: 'YML' }, content: [{ type: 'text', text: 'c: 3' }] }] },
        { type: 'codeBlock', attrs: { language: 'python' }, content: [{ type: 'text', text: 'x = 1' }] },
      ],
    };
    expect(extractYamlBlocks(adf)).toEqual(['a: 1\nb: 2', 'c: 3']);
  });

  it('returns nothing for descriptions without blocks or of other types', () => {
    expect(extractYamlBlocks('no code here')).toEqual([]);
    expect(extractYamlBlocks(null)).toEqual([]);
    expect(extractYamlBlocks(42)).toEqual([]);
  });

  it('names each block after the ticket', () => {
    expect(ticketSources('OPS-7', ['a', 'b']).map((s) => s.file)).toEqual(['OPS-7#yaml-1', 'OPS-7#yaml-2']);
  });
});
