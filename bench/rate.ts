/**
 * Benchmark 5: Huawei API rate. The simulator throttles at R requests/s (APIG's 429 APIGW.0308); C creates
 * from 5 clients x 10 workers (the deployed dispatch: maximumConcurrency 5 x batches of 10). Achieved
 * creates/s against R, and the share of calls answered 429. Unpaced is the client as it was (429 backoff
 * only); paced sets maxRequestsPerSecond = R / 5 per client (HUAWEICLOUD_MAX_REQUESTS_PER_SECOND).
 */
import { SIMULATOR_DEFAULTS, startSimulator } from '../local/huaweicloud-simulator/index';
import { HuaweiCloudClient } from '../shared/huaweicloud/client';
import { adapterOf } from '../shared/kinds/registry';
import { log, round } from './lib/util';

const CONTAINERS = 5;
const WORKERS = 10;

async function side(rate: number, creates: number, paced: boolean) {
  const simulator = await startSimulator({ port: 0, rateLimitPerSecond: rate });
  let calls = 0;
  let throttled = 0;
  const counting: typeof fetch = async (input, init) => {
    calls++;
    const response = await fetch(input, init);
    if (response.status === 429) throttled++;
    return response;
  };
  const clients = Array.from(
    { length: CONTAINERS },
    () =>
      new HuaweiCloudClient({
        credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
        modelartsEndpoint: simulator.url,
        iefEndpoint: simulator.url,
        fetch: counting,
        ...(paced ? { maxRequestsPerSecond: rate / CONTAINERS } : {}),
      }),
  );
  let next = 0;
  let gaveUp = 0;
  const started = performance.now();
  let last = started;
  const worker = async (client: HuaweiCloudClient) => {
    while (next < creates) {
      const i = next++;
      const body = {
        name: `nb_rate_${i}`,
        feature: 'NOTEBOOK',
        workspace_id: '0',
        flavor: 'modelarts.vm.cpu.2u',
        image_id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090',
      };
      // A create the client gave up on (its retry budget spent on 429s) comes back, as SQS would redeliver it.
      for (;;) {
        try {
          const resource = { projectId: SIMULATOR_DEFAULTS.projectId, region: 'cn-north-4', name: body.name, spec: { body } };
          await adapterOf('Notebook').create(client, resource, { projectId: SIMULATOR_DEFAULTS.projectId });
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== 'HUAWEI_RETRYABLE') throw error;
          gaveUp++;
        }
      }
      last = performance.now();
    }
  };
  await Promise.all(clients.flatMap((client) => Array.from({ length: WORKERS }, () => worker(client))));
  await simulator.close();
  const seconds = (last - started) / 1000;
  const createsPerSecond = round(creates / seconds, 2);
  return {
    seconds: round(seconds, 2),
    createsPerSecond,
    shareOfRate: round(createsPerSecond / rate, 3),
    calls,
    throttled429: throttled,
    throttledShare: round(throttled / calls, 4),
    createsGivenUpAndRetried: gaveUp,
  };
}

export async function benchRate(opts: { rate: number; creates: number }) {
  const result: Record<string, unknown> = {};
  for (const paced of [false, true]) {
    const label = paced ? 'paced' : 'unpaced';
    log(`rate ${label}: ${opts.creates} creates, simulator limit ${opts.rate}/s, ${CONTAINERS} clients x ${WORKERS} workers`);
    result[label] = await side(opts.rate, opts.creates, paced);
    log(`rate ${label}: ${JSON.stringify(result[label])}`);
  }
  const paced = result.paced as Awaited<ReturnType<typeof side>>;
  return {
    setup: {
      rateLimitPerSecond: opts.rate,
      creates: opts.creates,
      clients: `${CONTAINERS} clients (containers) x ${WORKERS} concurrent creates`,
      unpaced: 'client defaults: 429 retried with equal-jitter backoff from 1 s, 20 s budget per call',
      paced: `maxRequestsPerSecond = ${opts.rate / CONTAINERS} per client (R / ${CONTAINERS})`,
    },
    ...result,
    targets: { atLeast90PercentOfRate: paced.shareOfRate >= 0.9, under2PercentThrottled: paced.throttledShare < 0.02 },
  };
}
