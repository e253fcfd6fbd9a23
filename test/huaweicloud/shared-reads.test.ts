/**
 * sharingReads: identical GETs in flight at once go out once and every caller gets that answer; anything else
 * (another read, a write, the same read after the first settled) goes out on its own.
 */
import { describe, expect, it } from 'vitest';
import type { HuaweiCall, HuaweiResponse, HuaweiTransport } from '../../shared/huaweicloud/client';
import { sharingReads } from '../../shared/huaweicloud/shared-reads';

/** A transport whose answers the test releases by hand, recording what reached it. */
function heldTransport() {
  const sent: { call: HuaweiCall; settle: (outcome: HuaweiResponse | Error) => void }[] = [];
  const transport: HuaweiTransport = {
    send: (call) =>
      new Promise<HuaweiResponse>((resolve, reject) => {
        sent.push({ call, settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)) });
      }),
  };
  return { transport, sent };
}

const read = (over: Partial<HuaweiCall> = {}): HuaweiCall => ({
  operation: 'list notebook flavors',
  callKind: 'read',
  method: 'GET',
  service: 'modelarts',
  path: '/v1/p/notebooks/flavors',
  query: { category: 'GPU', limit: '100' },
  target: { projectId: 'p', region: 'cn-north-4' },
  notFoundIsNormal: true,
  ...over,
});

describe('sharingReads', () => {
  it('sends identical concurrent reads once and gives every caller the one answer', async () => {
    const { transport, sent } = heldTransport();
    const shared = sharingReads(transport);
    const first = shared.send(read());
    // The same question with its query written in another order is the same request.
    const second = shared.send(read({ query: { limit: '100', category: 'GPU' } }));
    expect(sent).toHaveLength(1);
    const answer = { status: 200, body: { flavors: [] }, requestId: 'r-1' };
    sent[0]!.settle(answer);
    await expect(first).resolves.toBe(answer);
    await expect(second).resolves.toBe(answer);
  });

  it('sends reads that differ in operation, place or question separately', async () => {
    const { transport, sent } = heldTransport();
    const shared = sharingReads(transport);
    const calls = [
      read(),
      read({ operation: 'show flavor' }),
      read({ path: '/v1/p/notebooks/flavors/x' }),
      read({ query: { category: 'CPU', limit: '100' } }),
      read({ query: undefined }),
      read({ target: { projectId: 'q', region: 'cn-north-4' } }),
      read({ target: { projectId: 'p', region: 'cn-east-3' } }),
      read({ target: { projectId: 'p', region: 'cn-north-4', iefInstanceId: 'i' } }),
      read({ target: { projectId: 'p', region: 'cn-north-4', poolName: 'pool' } }),
      read({ service: 'ief' }),
      read({ notFoundIsNormal: false }),
    ];
    const answers = calls.map((call) => shared.send(call));
    expect(sent).toHaveLength(calls.length);
    for (const [i, s] of sent.entries()) s.settle({ status: 200, body: i });
    expect(await Promise.all(answers.map(async (a) => (await a).body))).toEqual(calls.map((_, i) => i));
  });

  it('never shares a write', async () => {
    const { transport, sent } = heldTransport();
    const shared = sharingReads(transport);
    const create = read({ operation: 'create notebook', callKind: 'create', method: 'POST', body: { name: 'nb' } });
    void shared.send(create);
    void shared.send(create);
    expect(sent.map((s) => s.call.method)).toEqual(['POST', 'POST']);
  });

  it('asks again once the shared read has settled, answered or failed', async () => {
    const { transport, sent } = heldTransport();
    const shared = sharingReads(transport);
    const failing = [shared.send(read()), shared.send(read())];
    expect(sent).toHaveLength(1);
    const outage = new Error('Huawei did not answer');
    sent[0]!.settle(outage);
    for (const caller of failing) await expect(caller).rejects.toBe(outage);

    const again = shared.send(read());
    expect(sent).toHaveLength(2);
    sent[1]!.settle({ status: 200, body: 'fresh' });
    await expect(again).resolves.toMatchObject({ body: 'fresh' });
    void shared.send(read());
    expect(sent).toHaveLength(3);
  });
});
