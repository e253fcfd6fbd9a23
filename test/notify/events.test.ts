/** The notifier's parser: the published event schema, the SNS envelope, and events written before a field existed. */
import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, requestEvent } from '../../shared/events/cloudevents';
import { NotAnEventError } from '../../shared/notify/errors';
import { isResourceEvent, parseEventMessage } from '../../shared/notify/events';

const sample = JSON.parse(readFileSync('events/notify-sqs.json', 'utf8')) as SQSEvent;
const [raw, enveloped] = sample.Records.map((r) => r.body) as [string, string];

const completed = () =>
  requestEvent(EVENT_TYPES.requestCompleted, 'failed', '2026-11-23T10:02:45.310Z', {
    requestId: 'req_parse000000000000000000000',
    source: { provider: 'jira', ref: 'OPS-1', ticket: 'OPS-1' },
    state: 'Failed',
    resources: [{ kind: 'Notebook', name: 'nb', state: 'Failed', huaweiId: null, reason: 'CREATE_FAILED', message: 'sold out' }],
  }).event;

describe('parseEventMessage', () => {
  it('reads an event delivered raw and one inside the SNS envelope', () => {
    const resource = parseEventMessage(raw);
    expect(isResourceEvent(resource)).toBe(true);
    expect(resource.data).toMatchObject({ kind: 'Notebook', state: 'Failed', reason: 'CREATE_FAILED' });
    const request = parseEventMessage(enveloped);
    expect(isResourceEvent(request)).toBe(false);
    expect(request.type).toBe(EVENT_TYPES.requestCompleted);
    expect(request.data).toMatchObject({ resources: [expect.objectContaining({ message: expect.stringContaining('sold out') })] });
  });

  it('takes a request event written before its resources carried a message', () => {
    const event = completed();
    const { message: _message, ...older } = (event.data as { resources: Record<string, unknown>[] }).resources[0]!;
    const parsed = parseEventMessage(JSON.stringify({ ...event, data: { ...event.data, resources: [older] } }));
    expect(parsed.data).toMatchObject({ resources: [{ kind: 'Notebook', state: 'Failed', reason: 'CREATE_FAILED' }] });
  });

  it('passes the event on as received, fields the schema does not name included', () => {
    const event = { ...completed(), traceparent: '00-abc-def-01' };
    expect(parseEventMessage(JSON.stringify(event))).toEqual(event);
  });

  it('refuses what breaks the published contract, naming the field', () => {
    const resource = JSON.parse(raw);
    expect(() => parseEventMessage(JSON.stringify({ ...resource, data: { ...resource.data, kind: 'Bucket' } }))).toThrow(/: data\.kind /);
    expect(() => parseEventMessage(JSON.stringify({ ...completed(), type: 'hwc-provisioner.request.lost' }))).toThrow(NotAnEventError);
    const event = completed();
    expect(() => parseEventMessage(JSON.stringify({ ...event, data: { ...event.data, requestId: 7 } }))).toThrow(/: data\.requestId /);
    expect(() => parseEventMessage('{"hello":"world"}')).toThrow(NotAnEventError);
    expect(() => parseEventMessage('not json')).toThrow(/body is not JSON/);
  });
});
