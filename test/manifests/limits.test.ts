/** The bounds on what a rejection echoes of its input: clipped texts, and a report that fits one DynamoDB item with its event. */
import { describe, expect, it } from 'vitest';
import { boundRejected, type ReportedDocument } from '../../shared/manifests/errors';
import {
  clipText,
  MAX_ECHOED_FILE_CHARS,
  MAX_ECHOED_MESSAGE_CHARS,
  MAX_ECHOED_NAME_CHARS,
  MAX_ECHOED_PATH_CHARS,
  MAX_ERRORS_PER_DOCUMENT,
  MAX_REJECTED_BYTES,
  MAX_REJECTED_DOCUMENTS,
  quoted,
} from '../../shared/manifests/limits';

const issue = (message: string, path = 'spec') => ({ path, message, line: 3, column: 5 });

describe('clipText', () => {
  it('keeps short texts, and cuts long ones to the bound with an ellipsis', () => {
    expect(clipText('short', 10)).toBe('short');
    expect(clipText('x'.repeat(600_000), 100)).toBe(`${'x'.repeat(99)}…`);
  });

  it('changes nothing when clipping again', () => {
    const once = clipText('y'.repeat(5_000), MAX_ECHOED_MESSAGE_CHARS);
    expect(clipText(once, MAX_ECHOED_MESSAGE_CHARS)).toBe(once);
  });

  it('never splits a surrogate pair, and replaces lone surrogates', () => {
    const clipped = clipText(`${'a'.repeat(98)}😀😀`, 100);
    expect(clipped).toBe(`${'a'.repeat(98)}…`);
    expect(clipText('a\ud800b\udc00', 10)).toBe('a\ufffdb\ufffd');
  });

  it('quotes values JSON-style, so control characters cannot break a line', () => {
    expect(quoted('a"b\nc')).toBe('"a\\"b\\nc"');
    expect(quoted('k'.repeat(1_000)).length).toBe(MAX_ECHOED_NAME_CHARS + 2);
  });
});

describe('boundRejected', () => {
  it('clips every echoed text', () => {
    const [doc] = boundRejected([
      {
        file: 'f'.repeat(9_000),
        index: 0,
        kind: 'K'.repeat(900_000),
        name: 'n'.repeat(9_000),
        errors: [issue('m'.repeat(600_000), 'p'.repeat(600_000))],
      },
    ]);
    expect(doc!.file.length).toBe(MAX_ECHOED_FILE_CHARS);
    expect(doc!.kind!.length).toBe(MAX_ECHOED_NAME_CHARS);
    expect(doc!.name!.length).toBe(MAX_ECHOED_NAME_CHARS);
    expect(doc!.errors[0]!.message.length).toBe(MAX_ECHOED_MESSAGE_CHARS);
    expect(doc!.errors[0]!.path.length).toBe(MAX_ECHOED_PATH_CHARS);
  });

  it('lists a bounded number of errors per document and says how many more there were', () => {
    const [doc] = boundRejected([{ file: 'f', index: 0, errors: Array.from({ length: 500 }, (_, i) => issue(`error ${i}`)) }]);
    expect(doc!.errors).toHaveLength(MAX_ERRORS_PER_DOCUMENT + 1);
    expect(doc!.errors.at(-1)!.message).toBe(`… and ${500 - MAX_ERRORS_PER_DOCUMENT} more errors`);
  });

  it('lists a bounded number of documents and says how many more there were', () => {
    const documents: ReportedDocument[] = Array.from({ length: 400 }, (_, i) => ({ file: 'f', index: i, errors: [issue('bad')] }));
    const bounded = boundRejected(documents);
    expect(bounded).toHaveLength(MAX_REJECTED_DOCUMENTS + 1);
    expect(bounded.at(-1)).toMatchObject({
      index: -1,
      errors: [{ message: `… and ${400 - MAX_REJECTED_DOCUMENTS} more rejected documents` }],
    });
  });

  it('keeps the whole report within its byte budget, however many long errors it is given, each document with its first error', () => {
    const documents: ReportedDocument[] = Array.from({ length: 500 }, (_, i) => ({
      file: 'f'.repeat(500),
      index: i,
      kind: '☃'.repeat(500),
      errors: Array.from({ length: 60 }, () => issue('☃'.repeat(5_000), '☃'.repeat(500))),
    }));
    const bounded = boundRejected(documents);
    // One more error and the summaries may pass the budget; nothing else does.
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThan(MAX_REJECTED_BYTES + 8 * 1024);
    expect(bounded.at(-1)!.errors[0]!.message).toMatch(/^… and \d+ more rejected documents$/);
    for (const doc of bounded.slice(0, -1)) expect(doc.errors[0]!.message).toMatch(/^☃+…$/);
  });
});
