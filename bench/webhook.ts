/** Benchmark 1: webhook acknowledgement, ours vs a minimal verify-and-enqueue Hono app, under autocannon. */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import examples from '@octokit/webhooks-examples';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import type { BenchStack } from './lib/stack';
import { log, median, middle, ratio, round, startChild } from './lib/util';

export interface WebhookSide {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  requests: number;
  errors: number;
  non2xx: number;
  timeouts: number;
}

export interface WebhookResult {
  setup: Record<string, unknown>;
  ours: WebhookSide;
  baseline: WebhookSide;
  rounds: Record<'baseline' | 'ours', WebhookSide[]>;
  roundRatios: { requestsPerSecond: number; latencyP99: number }[];
  ratio: { requestsPerSecond: number; latencyP99: number };
}

const SECRET = 'bench-webhook-secret-0123456789abcdef';

function pushTemplate(): Record<string, any> {
  const push = (examples as { name: string; examples: Record<string, any>[] }[])
    .find((e) => e.name === 'push')!
    .examples.find((e) => typeof e.ref === 'string' && e.ref.startsWith('refs/heads/'))!;
  return structuredClone(push);
}

async function load(url: string, connections: number, seconds: number, warmupSeconds: number): Promise<WebhookSide> {
  const template = pushTemplate();
  // Every request is a new push (new head commit) with a new delivery id, signed as GitHub signs it.
  const requests: autocannon.Request[] = [
    {
      method: 'POST',
      path: '/webhooks/github',
      setupRequest: (req) => {
        const after = randomBytes(20).toString('hex');
        const body = JSON.stringify({ ...template, after, head_commit: { ...template.head_commit, id: after } });
        return {
          ...req,
          body,
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'push',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
          },
        };
      },
    },
  ];
  const run = (duration: number) => autocannon({ url, connections, duration, requests, timeout: 10 });
  if (warmupSeconds > 0) await run(warmupSeconds);
  const r = await run(seconds);
  return {
    requestsPerSecond: round(r.requests.average, 1),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMeanMs: round(r.latency.average, 2),
    requests: r.requests.total,
    errors: r.errors,
    non2xx: r.non2xx,
    timeouts: r.timeouts,
  };
}

export async function benchWebhook(
  stack: BenchStack,
  opts: { connections: number; seconds: number; warmupSeconds: number; rounds: number },
): Promise<WebhookResult> {
  const resources = await stack.provision('wh');
  const env = { ...resources.env, GITHUB_WEBHOOK_SECRET: SECRET, POWERTOOLS_LOG_LEVEL: 'INFO', TRACKED_BRANCHES: '' };
  const { sqs, destroy } = stack.clients();
  const runs: Record<'baseline' | 'ours', WebhookSide[]> = { baseline: [], ours: [] };
  try {
    // Rounds alternate baseline and ours (ABAB), each in a fresh server process against the same queue (emptied
    // in between), so load from anything else on the machine falls on both sides alike.
    for (let round = 0; round < opts.rounds; round++) {
      for (const mode of ['baseline', 'ours'] as const) {
        const server = startChild<{ port: number }>('procs/webhook-server.ts', [mode], env);
        try {
          const { port } = await server.ready;
          log(
            `webhook ${mode} round ${round + 1}: ${opts.connections} connections ` +
              `for ${opts.seconds} s (after ${opts.warmupSeconds} s warm-up)`,
          );
          const side = await load(`http://127.0.0.1:${port}`, opts.connections, opts.seconds, opts.warmupSeconds);
          runs[mode].push(side);
          log(`webhook ${mode} round ${round + 1}: ${side.requestsPerSecond} req/s, p99 ${side.latencyP99Ms} ms`);
        } finally {
          await server.stop();
        }
        await sqs.send(new PurgeQueueCommand({ QueueUrl: resources.queues.intake.url })).catch(() => undefined);
      }
    }
  } finally {
    destroy();
  }
  // Per side: request-weighted throughput over its rounds, the median round's latencies, all errors summed.
  const combine = (list: WebhookSide[]): WebhookSide => {
    const mid = middle(list, (s) => s.requestsPerSecond);
    return {
      requestsPerSecond: round(list.reduce((sum, s) => sum + s.requestsPerSecond, 0) / list.length, 1),
      latencyP50Ms: median(list.map((s) => s.latencyP50Ms)),
      latencyP99Ms: median(list.map((s) => s.latencyP99Ms)),
      latencyMeanMs: mid.latencyMeanMs,
      requests: list.reduce((sum, s) => sum + s.requests, 0),
      errors: list.reduce((sum, s) => sum + s.errors, 0),
      non2xx: list.reduce((sum, s) => sum + s.non2xx, 0),
      timeouts: list.reduce((sum, s) => sum + s.timeouts, 0),
    };
  };
  const sides = { ours: combine(runs.ours), baseline: combine(runs.baseline) };
  // The ratio is the median of each round's own ratio: a round's two sides run back to back, so they share
  // whatever else the machine was doing then, while rounds minutes apart differ by up to a third here.
  const paired = runs.ours.map((o, i) => ({
    requestsPerSecond: ratio(o.requestsPerSecond, runs.baseline[i]!.requestsPerSecond),
    latencyP99: ratio(o.latencyP99Ms, runs.baseline[i]!.latencyP99Ms),
  }));
  const ours = sides.ours!;
  const baseline = sides.baseline!;
  return {
    setup: {
      connections: opts.connections,
      seconds: opts.seconds,
      warmupSeconds: opts.warmupSeconds,
      rounds:
        `${opts.rounds} per side, alternating baseline/ours; per side requests/s averaged ` +
        "and latencies the median round's; ratios the median of the rounds' own ratios",
      processes:
        'server under test, fauxqs and the autocannon load generator each ' +
        'in their own Node process (DynamoDB Local is not used by this route)',
      payload: 'octokit push example (~7.6 KB), new head commit and X-GitHub-Delivery per request, HMAC-signed per request in setupRequest',
      oursLogging: 'Powertools logger at INFO as deployed, stdout to /dev/null',
    },
    ours,
    baseline,
    rounds: runs,
    roundRatios: paired,
    ratio: { requestsPerSecond: median(paired.map((r) => r.requestsPerSecond)), latencyP99: median(paired.map((r) => r.latencyP99)) },
  };
}
