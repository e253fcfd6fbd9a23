/**
 * Each call goes to the endpoint of its resource's region, signed for that host; an endpoint override
 * stands for the configured region only; a region with no known endpoint is refused before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { HuaweiCloudClient, type HuaweiTarget, type HuaweiTransport } from '../../shared/huaweicloud/client';
import { HuaweiInvalidRequestError, HuaweiPermanentError } from '../../shared/huaweicloud/errors';
import { verifySignature } from '../../shared/huaweicloud/signer';
import { adapterOf, type Kind } from '../../shared/kinds/registry';

const creds = { ak: 'REGIONTESTAK00000001', sk: 'region-test-sk' };
const PID = '0123456789abcdef0123456789abcdef';

interface Sent {
  url: string;
  signatureOk: boolean;
}

/** Answers every call with a body each kind's create and look-up accept, and records where it was sent. */
function recordingFetch() {
  const sent: Sent[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = { ...(init?.headers as Record<string, string>), host: new URL(url).host };
    const body = typeof init?.body === 'string' ? init.body : '';
    const verdict = verifySignature({ method: init?.method ?? 'GET', url, headers, body }, (ak) =>
      ak === creds.ak ? creds.sk : undefined,
    );
    sent.push({ url, signatureOk: verdict.ok });
    return new Response(JSON.stringify({ id: 'id-1', metadata: { name: 'pool-1' }, items: [], data: [], deployments: [] }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof globalThis.fetch;
  return { sent, fetch };
}

function client(fetch: typeof globalThis.fetch, extra: Partial<ConstructorParameters<typeof HuaweiCloudClient>[0]> = {}) {
  return new HuaweiCloudClient({
    credentials: creds,
    region: 'cn-north-4',
    modelartsEndpoint: 'http://127.0.0.1:4010',
    iefEndpoint: 'http://127.0.0.1:4011/',
    retryBudgetMs: 500,
    retryBaseMs: 10,
    fetch,
    ...extra,
  });
}

const at = (region?: string): HuaweiTarget => ({ projectId: PID, ...(region ? { region } : {}) });

/* Each kind's calls through its adapter, as the lifecycle makes them; async so any refusal is a rejection. */
const create = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, body: Record<string, unknown>) =>
  adapterOf(kind).create(c, { projectId: t.projectId, region: t.region ?? 'cn-north-4', name: 'r1', spec: { body } }, t);
const find = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, name: string) => adapterOf(kind).find(c, t, name);
const observe = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, id: string) => adapterOf(kind).observe(c, t, id);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('HuaweiCloudClient region routing', () => {
  it("sends a resource in another region to that region's public endpoint, signed for its host", async () => {
    const { sent, fetch } = recordingFetch();
    const c = client(fetch);
    await create(c, 'Notebook', at('cn-east-3'), { name: 'nb' });
    await create(c, 'ResourcePool', at('ap-southeast-1'), { kind: 'Pool' });
    await observe(c, 'NodePool', { ...at('la-south-2'), poolName: 'pool-1' }, 'np-1');
    await find(c, 'EdgeDeployment', at('cn-east-2'), 'app');
    await observe(c, 'EdgeDeployment', at('cn-south-1'), 'dep-1');
    expect(sent.map((s) => s.url)).toEqual([
      `https://modelarts.cn-east-3.myhuaweicloud.com/v1/${PID}/notebooks`,
      // Both Huawei SDKs publish ModelArts in ap-southeast-1 under .cn.
      `https://modelarts.ap-southeast-1.myhuaweicloud.cn/v2/${PID}/pools`,
      `https://modelarts.la-south-2.myhuaweicloud.com/v2/${PID}/pools/pool-1/nodepools/np-1`,
      `https://ief.cn-east-2.myhuaweicloud.com/v3/${PID}/edgemgr/deployments?name=app&limit=100`,
      `https://ief.cn-south-1.myhuaweicloud.com/v3/${PID}/edgemgr/deployments/dep-1`,
      `https://ief.cn-south-1.myhuaweicloud.com/v3/${PID}/edgemgr/pods?deployment_id=dep-1`,
    ]);
    expect(sent.every((s) => s.signatureOk)).toBe(true);
  });

  it('applies the configured endpoints (an override such as the simulator) to the configured region only', async () => {
    const { sent, fetch } = recordingFetch();
    const c = client(fetch);
    await create(c, 'Notebook', at('cn-north-4'), { name: 'nb' });
    await create(c, 'Notebook', at(), { name: 'nb' });
    await create(c, 'EdgeDeployment', at('cn-north-4'), { name: 'app' });
    await create(c, 'Notebook', at('cn-north-1'), { name: 'nb' });
    expect(sent.map((s) => s.url)).toEqual([
      `http://127.0.0.1:4010/v1/${PID}/notebooks`,
      `http://127.0.0.1:4010/v1/${PID}/notebooks`,
      `http://127.0.0.1:4011/v3/${PID}/edgemgr/deployments`,
      `https://modelarts.cn-north-1.myhuaweicloud.com/v1/${PID}/notebooks`,
    ]);
  });

  it('refuses a region with no known endpoint for the service, before sending anything', async () => {
    const { sent, fetch } = recordingFetch();
    const c = client(fetch);
    for (const [kind, region] of [
      ['Notebook', 'xx-nowhere-1'],
      ['EdgeDeployment', 'ap-southeast-3'],
      ['ResourcePool', 'cn-east-2'],
    ] as const) {
      const error = await failure(create(c, kind, at(region), {}));
      expect(error).toBeInstanceOf(HuaweiInvalidRequestError);
      expect(error).toBeInstanceOf(HuaweiPermanentError);
      expect((error as Error).message).toContain(
        `no known ${kind === 'EdgeDeployment' ? 'IEF' : 'ModelArts'} endpoint for region ${region}`,
      );
    }
    expect(sent).toEqual([]);
  });

  it('sends every region to the given endpoints when the client is not told their region (a simulator or a test double)', async () => {
    const { sent, fetch } = recordingFetch();
    const c = new HuaweiCloudClient({
      credentials: creds,
      modelartsEndpoint: 'http://127.0.0.1:4010',
      iefEndpoint: 'http://127.0.0.1:4010',
      fetch,
    });
    await create(c, 'Notebook', at('cn-east-3'), { name: 'nb' });
    await create(c, 'EdgeDeployment', at('cn-south-1'), { name: 'app' });
    expect(sent.map((s) => new URL(s.url).host)).toEqual(['127.0.0.1:4010', '127.0.0.1:4010']);
  });

  it('fromConfig ties HUAWEICLOUD_*_ENDPOINT to HUAWEICLOUD_REGION', async () => {
    const { sent, fetch } = recordingFetch();
    const env = {
      HUAWEICLOUD_SDK_AK: creds.ak,
      HUAWEICLOUD_SDK_SK: creds.sk,
      HUAWEICLOUD_SDK_PROJECT_ID: PID,
      HUAWEICLOUD_REGION: 'cn-east-3',
      HUAWEICLOUD_MODELARTS_ENDPOINT: 'http://127.0.0.1:4010',
    };
    const c = HuaweiCloudClient.fromConfig({ env, fetch });
    await create(c, 'Notebook', at('cn-east-3'), { name: 'nb' });
    await create(c, 'Notebook', at('cn-north-4'), { name: 'nb' });
    await create(c, 'EdgeDeployment', at('cn-east-3'), { name: 'app' });
    expect(sent.map((s) => s.url)).toEqual([
      `http://127.0.0.1:4010/v1/${PID}/notebooks`,
      `https://modelarts.cn-north-4.myhuaweicloud.com/v1/${PID}/notebooks`,
      `https://ief.cn-east-3.myhuaweicloud.com/v3/${PID}/edgemgr/deployments`,
    ]);
  });
});
