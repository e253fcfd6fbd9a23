/** What validation echoes of the input stays bounded, however long the keys and values it quotes. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MAX_ECHOED_MESSAGE_CHARS, MAX_ECHOED_NAME_CHARS } from '../../shared/manifests/limits';
import { validateSource } from '../../shared/manifests/validate';
import { unknownFieldsMessage } from '../../shared/manifests/zod-helpers';

const envelope = { apiVersion: 'hwc-provisioner/v1', kind: 'EdgeDeployment', metadata: { name: 'a' }, spec: { body: {} } };
const errorsOf = (value: unknown) => validateSource(stringify(value), 'm.yaml')[0]!.errors;

describe('echoed input in validation messages', () => {
  it('clips an unknown key of 600,000 characters in the message that quotes it', () => {
    const errors = errorsOf({ ...envelope, metadata: { name: 'a', ['k'.repeat(600_000)]: 'x' } });
    const unknown = errors.find((e) => e.path === 'metadata')!;
    expect(unknown.message.length).toBeLessThanOrEqual(MAX_ECHOED_MESSAGE_CHARS);
    expect(unknown.message).toMatch(/^unknown field "k+…"; known fields: name, labels/);
  });

  it('clips an unknown kind of 900,000 characters, and the kind reported for the document', () => {
    const [result] = validateSource(stringify({ ...envelope, kind: 'K'.repeat(900_000) }), 'm.yaml');
    const kind = result!.errors.find((e) => e.path === 'kind')!;
    expect(kind.message.length).toBeLessThanOrEqual(MAX_ECHOED_MESSAGE_CHARS);
    expect(kind.message).toMatch(/^unknown kind "K+…"; expected one of Notebook/);
    expect(result!.kind!.length).toBeLessThanOrEqual(MAX_ECHOED_NAME_CHARS);
  });

  it('names a bounded number of unknown keys, each clipped, and says how many more there were', () => {
    const keys = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(15_000, 'k'));
    const message = unknownFieldsMessage(keys, ['name', 'labels']);
    expect(message.length).toBeLessThanOrEqual(MAX_ECHOED_MESSAGE_CHARS);
    expect(message).toMatch(/^unknown field "0k+…"; known fields: name, labels; unknown field "1k+…"/);
    expect(message).toMatch(/… and \d+ more unknown fields$/);
  });

  it('leaves short keys and kinds as written', () => {
    expect(unknownFieldsMessage(['nmae'], ['name', 'labels'])).toBe('unknown field "nmae"; did you mean "name"?');
    expect(errorsOf({ ...envelope, kind: 'Notbook' })[0]!.message).toBe(
      'unknown kind "Notbook"; did you mean "Notebook"?; expected one of Notebook, ResourcePool, NodePool, EdgeDeployment',
    );
  });

  it('replaces lone surrogates in quoted text, which SNS and DynamoDB cannot take as UTF-8', () => {
    const [result] = validateSource(`{"apiVersion":"hwc-provisioner/v1","kind":"\\ud800x","metadata":{"name":"a"},"spec":{}}`, 'm.json');
    expect(result!.errors[0]!.message).toContain('"\ufffdx"');
    expect(result!.kind).toBe('\ufffdx');
  });
});
