import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventId, requestEvent, resourceEvent, type ResourceEventData } from '../../shared/events/cloudevents';
import { EventSchema } from '../../shared/events/schema';
import { KINDS } from '../../shared/kinds/registry';

const data = (overrides: Partial<ResourceEventData> = {}): ResourceEventData => ({
  requestId: 'req-1',
  source: { provider: 'github', ref: 'acme/infra@abc', repository: 'acme/infra' },
  kind: 'Notebook',
  name: 'nb',
  region: 'cn-north-4',
  projectId: 'p',
  huaweiId: 'hw-1',
  state: 'Succeeded',
  operation: 'create',
  reason: null,
  message: null,
  timings: {
    acceptedAt: '2025-01-01T00:00:00.000Z',
    createStartedAt: '2025-01-01T00:00:05.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    durationSeconds: 60,
  },
  ...overrides,
});

describe('resource and request events', () => {
  it('gives the same resource, request and terminal state the same id, however often it is built', () => {
    const a = resourceEvent(data());
    // A later retry finishes at another time with another message: still the same event for subscribers.
    const b = resourceEvent(data({ message: 'again', timings: { ...data().timings, finishedAt: '2025-01-01T00:09:00.000Z' } }));
    expect(a.event.id).toBe(b.event.id);
    expect(a.event.id).toMatch(/^[0-9a-f]{32}$/);
    expect(resourceEvent(data({ state: 'Failed' })).event.id).not.toBe(a.event.id);
    expect(resourceEvent(data({ name: 'other' })).event.id).not.toBe(a.event.id);
    expect(resourceEvent(data({ requestId: 'req-2' })).event.id).not.toBe(a.event.id);
  });

  it('joins id parts unambiguously: moving a character between parts changes the id', () => {
    expect(eventId('ab', 'c')).not.toBe(eventId('a', 'bc'));
  });

  it('maps terminal states to types and outcomes, and refuses a state that is not terminal', () => {
    expect(resourceEvent(data({ state: 'Unchanged' })).attributes).toEqual({
      type: EVENT_TYPES.resourceSucceeded,
      kind: 'Notebook',
      outcome: 'succeeded',
    });
    expect(resourceEvent(data({ state: 'TimedOut' })).attributes).toEqual({
      type: EVENT_TYPES.resourceTimedOut,
      kind: 'Notebook',
      outcome: 'timed_out',
    });
    expect(() => resourceEvent(data({ state: 'Creating' }))).toThrow(/not terminal/);
  });

  it('builds events that match the published schema (schemas/event.schema.json)', () => {
    for (const state of ['Succeeded', 'Unchanged', 'Failed', 'TimedOut']) {
      const { event } = resourceEvent(data({ state, reason: state === 'Failed' ? 'CREATE_FAILED' : null }));
      expect(EventSchema.safeParse(event).error).toBeUndefined();
      expect(event).toMatchObject({
        specversion: '1.0',
        source: 'hwc-provisioner',
        subject: 'Notebook/nb',
        time: '2025-01-01T00:01:00.000Z',
        datacontenttype: 'application/json',
      });
    }
    const completed = requestEvent(EVENT_TYPES.requestCompleted, 'partially_failed', '2025-01-01T00:02:00.000Z', {
      requestId: 'req-1',
      source: { provider: 'jira', ref: 'OPS-1', ticket: 'OPS-1' },
      state: 'PartiallyFailed',
      resources: [{ kind: 'Notebook', name: 'nb', state: 'Failed', huaweiId: null, reason: 'CREATE_FAILED', message: 'sold out' }],
    });
    expect(EventSchema.safeParse(completed.event).error).toBeUndefined();
    expect(completed.event.subject).toBe('Request/req-1');
    expect(completed.attributes).toEqual({ type: EVENT_TYPES.requestCompleted, kind: 'Request', outcome: 'partially_failed' });
    // One completion per request, whenever it is written.
    expect(
      requestEvent(EVENT_TYPES.requestCompleted, 'succeeded', '2030-01-01T00:00:00.000Z', completed.event.data as never).event.id,
    ).toBe(completed.event.id);
  });

  it('the schema refuses what subscribers could not rely on', () => {
    const { event } = resourceEvent(data());
    expect(EventSchema.safeParse({ ...event, specversion: '0.3' }).success).toBe(false);
    expect(EventSchema.safeParse({ ...event, data: { ...event.data, state: 'Creating' } }).success).toBe(false);
    expect(EventSchema.safeParse({ ...event, data: { ...event.data, kind: 'Bucket' } }).success).toBe(false);
    // Each resource of a request event says what happened in words too: a subscriber never needs the table.
    const completed = requestEvent(EVENT_TYPES.requestCompleted, 'failed', '2025-01-01T00:02:00.000Z', {
      requestId: 'req-1',
      source: { provider: 'api', ref: 'api:test' },
      state: 'Failed',
      resources: [{ kind: 'Notebook', name: 'nb', state: 'Failed', huaweiId: null, reason: 'CREATE_FAILED', message: null }],
    }).event;
    expect(EventSchema.safeParse(completed).success).toBe(true);
    const { message: _message, ...withoutMessage } = (completed.data as { resources: Record<string, unknown>[] }).resources[0]!;
    expect(EventSchema.safeParse({ ...completed, data: { ...completed.data, resources: [withoutMessage] } }).success).toBe(false);
  });

  it('accepts every kind the registry knows in resource events', () => {
    for (const kind of KINDS) expect(EventSchema.safeParse(resourceEvent(data({ kind })).event).error).toBeUndefined();
  });
});
