/**
 * `npm run local:huawei -- [--endpoint URL] <METHOD> <path> [json]`: one signed call to the local Huawei simulator,
 * as any other tool (Huawei's console, its CLI, a colleague's script) would make it, to change a resource behind
 * hwc-provisioner's back and watch the drift report arrive. `notebook-flavor <id> <flavor>` does what a console
 * user does to change a running notebook's flavor: stop it, update it, start it.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HuaweiCloudClient, type HuaweiCall } from '../shared/huaweicloud/client';
import { SIMULATOR_DEFAULTS } from './huaweicloud-simulator/defaults';

export const HUAWEI_USAGE = `usage: npm run local:huawei -- [--endpoint URL] <GET|PUT|POST|PATCH|DELETE> <path> [json]
       npm run local:huawei -- [--endpoint URL] notebook-flavor <notebook id> <flavor>

Signs with the simulator's development credentials. --endpoint defaults to $HUAWEICLOUD_MODELARTS_ENDPOINT (the
npm start banner prints the simulator's URL). Paths may use {project} for the simulator's project id, e.g.
  npm run local:huawei -- PUT /v1/{project}/notebooks/<id> '{"description":"changed in the console"}'
  npm run local:huawei -- DELETE /v1/{project}/notebooks/<id>`;

const METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

export class HuaweiUsageError extends Error {}

interface Io {
  print(line: string): void;
}

/** Runs one command; returns Huawei's answers, printed as they come. */
export async function runHuaweiCommand(argv: readonly string[], env: Record<string, string | undefined>, io: Io): Promise<void> {
  const { values, positionals } = parseArgs({ args: [...argv], options: { endpoint: { type: 'string' } }, allowPositionals: true });
  const endpoint = values.endpoint ?? env.HUAWEICLOUD_MODELARTS_ENDPOINT;
  if (!endpoint) throw new HuaweiUsageError('no --endpoint and no HUAWEICLOUD_MODELARTS_ENDPOINT: which simulator?');
  const projectId = env.HUAWEICLOUD_SDK_PROJECT_ID || SIMULATOR_DEFAULTS.projectId;
  const client = new HuaweiCloudClient({
    credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
    modelartsEndpoint: endpoint,
    iefEndpoint: endpoint,
    retryBudgetMs: 2_000,
  });
  const call = async (method: Method, rawPath: string, body?: unknown) => {
    const path = rawPath.replaceAll('{project}', projectId);
    const request: HuaweiCall = {
      operation: `local:huawei ${method}`,
      callKind: method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : method === 'POST' ? 'create' : 'update',
      method,
      service: path.includes('/edgemgr/') ? 'ief' : 'modelarts',
      path,
      target: { projectId, region: 'cn-north-4' },
      ...(body === undefined ? {} : { body }),
    };
    const answer = await client.send(request);
    io.print(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body ?? null).slice(0, 500)}`);
    return answer;
  };
  const [command, ...rest] = positionals;
  if (command === 'notebook-flavor') {
    const [id, flavor] = rest;
    if (!id || !flavor) throw new HuaweiUsageError('notebook-flavor takes a notebook id and a flavor');
    const notebook = `/v1/{project}/notebooks/${id}`;
    await call('POST', `${notebook}/stop`);
    await waitFor(() => call('GET', notebook), 'STOPPED');
    await call('PUT', notebook, { flavor });
    await call('POST', `${notebook}/start`);
    return;
  }
  const method = command?.toUpperCase() as Method | undefined;
  if (!method || !METHODS.includes(method)) throw new HuaweiUsageError(`unknown command ${command ?? '(none)'}`);
  const [path, json] = rest;
  if (!path?.startsWith('/')) throw new HuaweiUsageError('a path starting with / is required');
  let body: unknown;
  if (json !== undefined) {
    try {
      body = JSON.parse(json);
    } catch {
      throw new HuaweiUsageError('the body must be JSON');
    }
  }
  await call(method, path, body);
}

/** Looks until the notebook reaches `status` (the simulator moves it in a moment), for up to a minute. */
async function waitFor(look: () => Promise<{ body?: unknown }>, status: string): Promise<void> {
  const stopAt = Date.now() + 60_000;
  while (Date.now() < stopAt) {
    const seen = (await look()).body as { status?: string } | undefined;
    if (seen?.status === status) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the notebook did not reach ${status} within a minute`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runHuaweiCommand(process.argv.slice(2), process.env, { print: (line) => process.stdout.write(`${line}\n`) }).catch((error: unknown) => {
    process.stderr.write(`local:huawei: ${(error as Error).message}\n`);
    if (error instanceof HuaweiUsageError) process.stderr.write(`${HUAWEI_USAGE}\n`);
    process.exit(error instanceof HuaweiUsageError ? 2 : 1);
  });
}
