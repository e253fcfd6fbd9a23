/**
 * `hwc-provisioner dlq list|redrive`: what is in the stack's dead-letter queues, why each message died, and
 * moving them back to their source queues (receive, send, delete: the emulator has no message-move API).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DispatchMessageSchema } from '../shared/queue/messages';
import { ExternalSubmissionSchema, IntakeJobSchema } from '../shared/intake/messages';
import { getRequest, type TableRef } from '../shared/store/requests';
import { getResource } from '../shared/store/resources';
import { CliError, UsageError, type Io } from './io';

type Env = Record<string, string | undefined>;

export interface DlqOptions {
  queue?: string;
  prefix: string;
  endpoint?: string;
  format: 'text' | 'json';
}

export interface DlqClients {
  sqs: SQSClient;
  /** Without a table (no TABLE_NAME), dispatch messages are listed without their resource's state. */
  table?: TableRef;
}

interface DeadLetter {
  queue: string;
  messageId: string;
  receiveCount: number;
  sentAt?: string;
  firstReceiveAt?: string;
  /** SQS keeps no "last receive" time; for dispatch messages the resource's last update stands in for it. */
  lastReceiveAt?: string;
  summary: string;
  reason: string;
}

export const DLQ_USAGE =
  'usage: hwc-provisioner dlq list|redrive [--queue NAME] [--prefix ' +
  'PREFIX] [--endpoint URL] [--format text|json]; see hwc-provisioner help';

/** No dead-letter queue under the prefix: most often a mistyped prefix or the wrong endpoint, so not "0 messages". */
class NoDeadLetterQueueError extends CliError {
  constructor(message: string) {
    super('NO_DLQ', message, 2);
    this.name = 'NoDeadLetterQueueError';
  }
}

/** An SQS or DynamoDB call failed (credentials, network, permissions): one line instead of the SDK's stack trace. */
class AwsCallError extends CliError {
  constructor(message: string) {
    super('AWS', message, 1);
    this.name = 'AwsCallError';
  }
}

export function parseDlqArgs(args: string[], env: Env): { action: 'list' | 'redrive'; options: DlqOptions } {
  const [action, ...rest] = args;
  if (action !== 'list' && action !== 'redrive')
    throw new UsageError(action === undefined ? 'dlq needs list or redrive' : `unknown dlq action "${action}"`, DLQ_USAGE);
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const match = /^--(queue|prefix|endpoint|format)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unknown option ${arg}`, DLQ_USAGE);
    const value = match[2] ?? rest[++i];
    if (value === undefined || value === '') throw new UsageError(`--${match[1]} needs a value`, DLQ_USAGE);
    values[match[1]!] = value;
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`, DLQ_USAGE);
  const prefix = values.prefix ?? env.STACK_PREFIX ?? prefixFromQueueUrl(env.INTAKE_QUEUE_URL);
  if (!prefix) throw new UsageError('no stack prefix: pass --prefix, or set STACK_PREFIX or INTAKE_QUEUE_URL', DLQ_USAGE);
  const endpoint = values.endpoint ?? env.AWS_ENDPOINT_URL_SQS;
  if (endpoint !== undefined && !URL.canParse(endpoint)) throw new UsageError(`--endpoint must be a URL, not "${endpoint}"`, DLQ_USAGE);
  return { action, options: { prefix, format, ...(values.queue ? { queue: values.queue } : {}), ...(endpoint ? { endpoint } : {}) } };
}

/** `https://sqs.../123/hwcp-prod-intake` -> `hwcp-prod`. */
export function prefixFromQueueUrl(url: string | undefined): string | undefined {
  const name = url?.split('/').filter(Boolean).pop();
  return name?.endsWith('-intake') ? name.slice(0, -'-intake'.length) : undefined;
}

/** An emulator on this machine (npm start, LocalStack): it checks no credentials. */
function isLoopback(endpoint: string | undefined): boolean {
  if (!endpoint || !URL.canParse(endpoint)) return false;
  const host = new URL(endpoint).hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** What emulators accept; any value would do. */
const LOOPBACK_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/**
 * Keys from the environment when set; for a loopback endpoint otherwise dummy ones, so the SDK's default
 * chain never runs: from a laptop its last step waits on the instance-metadata address and then fails.
 */
function credentialsFor(endpoint: string | undefined, env: Env): Credentials | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return isLoopback(endpoint) ? { ...LOOPBACK_CREDENTIALS } : undefined;
}

/** Clients from the environment; the endpoint is passed explicitly because fauxqs queue URLs name a *.localhost host. */
function clientsFromEnv(options: DlqOptions, env: Env): DlqClients {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const client = (endpoint: string | undefined) => {
    const credentials = credentialsFor(endpoint, env);
    return { region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) };
  };
  const sqs = new SQSClient(client(options.endpoint));
  if (!env.TABLE_NAME) return { sqs };
  const dynamodb = new DynamoDBClient(client(env.AWS_ENDPOINT_URL_DYNAMODB));
  return { sqs, table: { ddb: DynamoDBDocumentClient.from(dynamodb), tableName: env.TABLE_NAME } };
}

/** The SDK's error in one line, with what to do about the usual ones. */
function describeAwsError(error: unknown, endpoint: string | undefined): string {
  const e = error as { name?: string; message?: string; code?: string; errors?: { code?: string }[] };
  const firstLine = (e.message ?? String(error)).split('\n')[0]!;
  const where = endpoint ?? 'AWS';
  if (e.name === 'CredentialsProviderError') {
    return (
      `no AWS credentials for ${where} (${firstLine}): set AWS_PROFILE, or ` +
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for npm start, use the exports it prints'
    );
  }
  const code = e.code ?? e.errors?.find((inner) => inner.code)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
    return `cannot reach ${where} (${code}): is the stack running? npm start prints its endpoint as AWS_ENDPOINT_URL_SQS`;
  }
  return `${where}: ${e.name ?? 'Error'}: ${firstLine}`;
}

const nameOf = (url: string) => url.split('/').filter(Boolean).pop() ?? url;

async function listQueueUrls(sqs: SQSClient, prefix: string | undefined): Promise<string[]> {
  const urls: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sqs.send(
      new ListQueuesCommand({ ...(prefix ? { QueueNamePrefix: prefix } : {}), MaxResults: 1000, ...(NextToken ? { NextToken } : {}) }),
    );
    urls.push(...(page.QueueUrls ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return urls;
}

/** Prefixes of the stacks whose DLQs are at this endpoint, to point at the one that was meant; a hint only, so never an error. */
async function otherStacks(sqs: SQSClient): Promise<string> {
  try {
    const prefixes = (await listQueueUrls(sqs, undefined))
      .map((url) => /^(.+)-(?:intake|dispatch|notify)-dlq$/.exec(nameOf(url))?.[1])
      .filter((p): p is string => p !== undefined);
    return [...new Set(prefixes)].sort().join(', ') || 'none';
  } catch {
    // A policy may allow listing only the stack's own prefix.
    return 'not listable';
  }
}

/** The stack's DLQs (`PREFIX-*-dlq`), or the one --queue names. */
async function findDeadLetterQueues(sqs: SQSClient, options: DlqOptions): Promise<{ name: string; url: string }[]> {
  const urls = await listQueueUrls(sqs, options.prefix);
  const dlqs = urls
    .map((url) => ({ name: nameOf(url), url }))
    .filter((q) => q.name.startsWith(`${options.prefix}-`) && q.name.endsWith('-dlq'));
  if (dlqs.length === 0) {
    throw new NoDeadLetterQueueError(
      `no dead-letter queue under prefix "${options.prefix}" at ` +
        `${options.endpoint ?? 'AWS'} (stacks found there: ${await otherStacks(sqs)})`,
    );
  }
  if (!options.queue) return dlqs.sort((a, b) => a.name.localeCompare(b.name));
  const wanted = new Set([options.queue, `${options.queue}-dlq`, `${options.prefix}-${options.queue}-dlq`]);
  const picked = dlqs.filter((q) => wanted.has(q.name));
  if (picked.length === 0)
    throw new NoDeadLetterQueueError(
      `no dead-letter queue "${options.queue}" under prefix ${options.prefix} (found: ${dlqs.map((q) => q.name).join(', ')})`,
    );
  return picked;
}

const iso = (epochMs: string | undefined) =>
  epochMs && Number.isFinite(Number(epochMs)) ? new Date(Number(epochMs)).toISOString() : undefined;

/** Every message of a DLQ, left in place: received with a visibility timeout, then made visible again. */
async function peek(sqs: SQSClient, url: string): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) seen.set(m.MessageId!, m);
  }
  for (const m of seen.values()) {
    await sqs
      .send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }))
      .catch(() => undefined);
  }
  return [...seen.values()];
}

/** What the message is and why it died, from its body and, for dispatch and intake, the table. */
async function explain(
  sourceKind: string,
  body: string,
  table: TableRef | undefined,
): Promise<{ summary: string; reason: string; lastAttemptAt?: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {
      summary: `(unparseable: ${JSON.stringify(body.slice(0, 60))}${body.length > 60 ? '…' : ''})`,
      reason: 'the body is not JSON: no handler can ever process it',
    };
  }
  if (sourceKind === 'dispatch') {
    const message = DispatchMessageSchema.safeParse(parsed);
    if (!message.success)
      return {
        summary: oneLine(parsed),
        reason: `not a dispatch message (${message.error.issues[0]?.message ?? 'invalid'}): the dispatcher rejects it as poison`,
      };
    const { requestId, kind, name } = message.data;
    const summary = `${kind}/${name} ${requestId}`;
    if (!table) return { summary, reason: 'unknown (set TABLE_NAME to look the resource up)' };
    const resource = await getResource(table, requestId, kind, name);
    if (!resource) return { summary, reason: 'resource not found in the table' };
    return {
      summary,
      reason: [
        `state ${resource.state}`,
        resource.reason ? `reason ${resource.reason}` : '',
        resource.message ? `message "${resource.message}"` : '',
      ]
        .filter(Boolean)
        .join(', '),
      lastAttemptAt: resource.updatedAt,
    };
  }
  if (sourceKind === 'intake') {
    const job = IntakeJobSchema.safeParse(parsed);
    const external = job.success ? undefined : ExternalSubmissionSchema.safeParse(parsed);
    if (!job.success && !external?.success)
      return {
        summary: oneLine(parsed),
        reason: 'not an intake job or submission (intake records such messages as rejected requests; this one failed before that)',
      };
    if (!job.success)
      return {
        summary: `submission ${oneLine(external?.data?.source ?? {})}`,
        reason: 'intake failed on every attempt (AWS errors; see the intake function logs)',
      };
    const { type, requestId } = job.data;
    const ref = job.data.type === 'jira.issue' ? job.data.ticket : `${job.data.repository}@${job.data.after}`;
    const summary = `${type} ${ref} ${requestId}`;
    if (!table) return { summary, reason: 'unknown (set TABLE_NAME to look the request up)' };
    const request = await getRequest(table, requestId);
    if (!request)
      return {
        summary,
        reason: 'no request recorded: intake failed before recording it (provider or AWS errors; see the intake function logs)',
      };
    return { summary, reason: `request ${request.phase}${request.rejected ? `: ${request.rejected[0]?.errors[0]?.message ?? ''}` : ''}` };
  }
  const event = parsed as { type?: unknown; subject?: unknown; id?: unknown };
  if (typeof event?.type === 'string')
    return {
      summary: `${event.type} ${String(event.subject ?? '')} ${String(event.id ?? '')}`.trim(),
      reason: 'delivery failed on every attempt (see the notify function logs)',
    };
  return { summary: oneLine(parsed), reason: 'unknown message shape' };
}

function oneLine(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

const kindOf = (dlqName: string, prefix: string) => dlqName.slice(prefix.length + 1, -'-dlq'.length);

/** The DLQs looked at (so an empty listing still shows the prefix matched) and what they hold. */
async function listDeadLetters(clients: DlqClients, options: DlqOptions): Promise<{ queues: string[]; letters: DeadLetter[] }> {
  const letters: DeadLetter[] = [];
  const dlqs = await findDeadLetterQueues(clients.sqs, options);
  for (const dlq of dlqs) {
    for (const m of await peek(clients.sqs, dlq.url)) {
      const attrs = m.Attributes ?? {};
      const { summary, reason, lastAttemptAt } = await explain(kindOf(dlq.name, options.prefix), m.Body ?? '', clients.table);
      const sentAt = iso(attrs.SentTimestamp);
      const firstReceiveAt = iso(attrs.ApproximateFirstReceiveTimestamp);
      letters.push({
        queue: dlq.name,
        messageId: m.MessageId!,
        // SQS's own count: it carries over from the source queue and includes this listing's receive
        // (and, on some implementations, the receive that moved it), so it is at least maxReceiveCount + 1.
        receiveCount: Number(attrs.ApproximateReceiveCount ?? '0'),
        ...(sentAt ? { sentAt } : {}),
        ...(firstReceiveAt ? { firstReceiveAt } : {}),
        ...(lastAttemptAt ? { lastReceiveAt: lastAttemptAt } : {}),
        summary,
        reason,
      });
    }
  }
  return { queues: dlqs.map((q) => q.name), letters };
}

interface RedriveResult {
  queues: { queue: string; source: string; moved: number }[];
  moved: number;
  failed: number;
}

/** Failures to move one message are reported on `io` and counted; the rest still move. */
async function redrive(clients: DlqClients, options: DlqOptions, io: Io): Promise<RedriveResult> {
  const result: RedriveResult = { queues: [], moved: 0, failed: 0 };
  for (const dlq of await findDeadLetterQueues(clients.sqs, options)) {
    const source = dlq.url.replace(/-dlq$/, '');
    let count = 0;
    for (;;) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages) {
        try {
          // Send first, then delete: a crash in between leaves a duplicate, never a loss (handlers are idempotent).
          await clients.sqs.send(
            new SendMessageCommand({
              QueueUrl: source,
              MessageBody: m.Body ?? '',
              ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0 ? { MessageAttributes: m.MessageAttributes } : {}),
            }),
          );
          await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: m.ReceiptHandle! }));
          count++;
        } catch (error) {
          result.failed++;
          io.stderr(`hwc-provisioner: could not move ${m.MessageId} from ${dlq.name}: ${describeAwsError(error, options.endpoint)}`);
        }
      }
    }
    result.queues.push({ queue: dlq.name, source: nameOf(source), moved: count });
    result.moved += count;
  }
  return result;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function printList(letters: DeadLetter[], queues: string[], options: DlqOptions, io: Io): void {
  if (options.format === 'json') {
    io.stdout(JSON.stringify({ prefix: options.prefix, queues, messages: letters }, null, 2));
    return;
  }
  for (const l of letters) {
    io.stdout(
      [
        `${l.queue} ${l.messageId}`,
        `  receive count ${l.receiveCount} (incl. this listing), sent ${l.sentAt ?? '?'}, first ` +
          `receive ${l.firstReceiveAt ?? '?'}, last attempt ${l.lastReceiveAt ?? '(not reported by SQS)'}`,
        `  ${l.summary}`,
        `  why: ${l.reason}`,
      ].join('\n'),
    );
  }
  io.stdout(
    `${plural(letters.length, 'message')} in ${plural(queues.length, 'dead-letter queue')} under ${options.prefix}: ${queues.join(', ')}`,
  );
}

function printRedrive(result: RedriveResult, options: DlqOptions, io: Io): void {
  if (options.format === 'json') {
    io.stdout(JSON.stringify({ prefix: options.prefix, ...result }, null, 2));
    return;
  }
  for (const q of result.queues) io.stdout(`${q.queue} -> ${q.source}: moved ${plural(q.moved, 'message')}`);
  io.stdout(`redrive: ${result.moved} moved, ${result.failed} failed`);
}

/** Entry point from cli/main.ts; `clients` is injectable so tests can use their own. */
export async function dlqCommand(args: string[], io: Io, env: Env = process.env, clients?: DlqClients): Promise<number> {
  const { action, options } = parseDlqArgs(args, env);
  const own = clients ?? clientsFromEnv(options, env);
  try {
    if (action === 'redrive') {
      const result = await redrive(own, options, io);
      printRedrive(result, options, io);
      return result.failed > 0 ? 1 : 0;
    }
    const { queues, letters } = await listDeadLetters(own, options);
    printList(letters, queues, options, io);
    return 0;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new AwsCallError(describeAwsError(error, options.endpoint));
  } finally {
    if (!clients) {
      own.sqs.destroy();
      own.table?.ddb.destroy();
    }
  }
}
