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
import { DispatchMessageSchema } from '../shared/dispatch/messages';
import { ExternalSubmissionSchema, IntakeJobSchema } from '../shared/intake/messages';
import { getRequest, type TableRef } from '../shared/store/requests';
import { getResource } from '../shared/store/resources';
import { UsageError, type Io } from './io';

type Env = Record<string, string | undefined>;

export interface DlqOptions {
  queue?: string;
  prefix: string;
  endpoint?: string;
}

export interface DlqClients {
  sqs: SQSClient;
  /** Without a table (no TABLE_NAME), dispatch messages are listed without their resource's state. */
  table?: TableRef;
}

export interface DeadLetter {
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

export const DLQ_USAGE = `usage: hwc-provisioner dlq list|redrive [--queue NAME] [--prefix PREFIX] [--endpoint URL]
  list                 every message in the stack's dead-letter queues, with why it died
  redrive              moves them back to their source queues (the name without -dlq)
  --queue NAME         one DLQ only: its name, its source queue's name, or intake|dispatch|notify
  --prefix PREFIX      the stack prefix (default: STACK_PREFIX, else derived from INTAKE_QUEUE_URL)
  --endpoint URL       the SQS endpoint (default: AWS_ENDPOINT_URL_SQS)`;

export function parseDlqArgs(args: string[], env: Env): { action: 'list' | 'redrive'; options: DlqOptions } {
  const [action, ...rest] = args;
  if (action !== 'list' && action !== 'redrive') throw new UsageError(action === undefined ? 'dlq needs list or redrive' : `unknown dlq action "${action}"`);
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const match = /^--(queue|prefix|endpoint)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unknown option ${arg}`);
    const value = match[2] ?? rest[++i];
    if (value === undefined || value === '') throw new UsageError(`--${match[1]} needs a value`);
    values[match[1]!] = value;
  }
  const prefix = values.prefix ?? env.STACK_PREFIX ?? prefixFromQueueUrl(env.INTAKE_QUEUE_URL);
  if (!prefix) throw new UsageError('no stack prefix: pass --prefix, or set STACK_PREFIX or INTAKE_QUEUE_URL');
  const endpoint = values.endpoint ?? env.AWS_ENDPOINT_URL_SQS;
  return { action, options: { prefix, ...(values.queue ? { queue: values.queue } : {}), ...(endpoint ? { endpoint } : {}) } };
}

/** `https://sqs.../123/hwcp-prod-intake` -> `hwcp-prod`. */
export function prefixFromQueueUrl(url: string | undefined): string | undefined {
  const name = url?.split('/').filter(Boolean).pop();
  return name?.endsWith('-intake') ? name.slice(0, -'-intake'.length) : undefined;
}

/** Clients from the environment; the endpoint is passed explicitly because fauxqs queue URLs name a *.localhost host. */
export function clientsFromEnv(options: DlqOptions, env: Env): DlqClients {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const credentials = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } : undefined;
  const common = { region, ...(credentials ? { credentials } : {}) };
  const sqs = new SQSClient({ ...common, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  if (!env.TABLE_NAME) return { sqs };
  const dynamodb = new DynamoDBClient({ ...common, ...(env.AWS_ENDPOINT_URL_DYNAMODB ? { endpoint: env.AWS_ENDPOINT_URL_DYNAMODB } : {}) });
  return { sqs, table: { ddb: DynamoDBDocumentClient.from(dynamodb), tableName: env.TABLE_NAME } };
}

const nameOf = (url: string) => url.split('/').filter(Boolean).pop() ?? url;

/** The stack's DLQs (`PREFIX-*-dlq`), or the one --queue names. */
export async function findDeadLetterQueues(sqs: SQSClient, options: DlqOptions): Promise<{ name: string; url: string }[]> {
  const urls: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: options.prefix, MaxResults: 1000, ...(NextToken ? { NextToken } : {}) }));
    urls.push(...(page.QueueUrls ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  const dlqs = urls.map((url) => ({ name: nameOf(url), url })).filter((q) => q.name.startsWith(`${options.prefix}-`) && q.name.endsWith('-dlq'));
  if (!options.queue) return dlqs.sort((a, b) => a.name.localeCompare(b.name));
  const wanted = new Set([options.queue, `${options.queue}-dlq`, `${options.prefix}-${options.queue}-dlq`]);
  const picked = dlqs.filter((q) => wanted.has(q.name));
  if (picked.length === 0) throw new UsageError(`no dead-letter queue "${options.queue}" under prefix ${options.prefix} (found: ${dlqs.map((q) => q.name).join(', ') || 'none'})`);
  return picked;
}

const iso = (epochMs: string | undefined) => (epochMs && Number.isFinite(Number(epochMs)) ? new Date(Number(epochMs)).toISOString() : undefined);

/** Every message of a DLQ, left in place: received with a visibility timeout, then made visible again. */
async function peek(sqs: SQSClient, url: string): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) seen.set(m.MessageId!, m);
  }
  for (const m of seen.values()) {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })).catch(() => undefined);
  }
  return [...seen.values()];
}

/** What the message is and why it died, from its body and, for dispatch and intake, the table. */
export async function explain(sourceKind: string, body: string, table: TableRef | undefined): Promise<{ summary: string; reason: string; lastAttemptAt?: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { summary: `(unparseable: ${JSON.stringify(body.slice(0, 60))}${body.length > 60 ? '…' : ''})`, reason: 'the body is not JSON: no handler can ever process it' };
  }
  if (sourceKind === 'dispatch') {
    const message = DispatchMessageSchema.safeParse(parsed);
    if (!message.success) return { summary: oneLine(parsed), reason: `not a dispatch message (${message.error.issues[0]?.message ?? 'invalid'}): the dispatcher rejects it as poison` };
    const { requestId, kind, name } = message.data;
    const summary = `${kind}/${name} ${requestId}`;
    if (!table) return { summary, reason: 'unknown (set TABLE_NAME to look the resource up)' };
    const resource = await getResource(table, requestId, kind, name);
    if (!resource) return { summary, reason: 'resource not found in the table' };
    return {
      summary,
      reason: [`state ${resource.state}`, resource.reason ? `reason ${resource.reason}` : '', resource.message ? `message "${resource.message}"` : ''].filter(Boolean).join(', '),
      lastAttemptAt: resource.updatedAt,
    };
  }
  if (sourceKind === 'intake') {
    const job = IntakeJobSchema.safeParse(parsed);
    const external = job.success ? undefined : ExternalSubmissionSchema.safeParse(parsed);
    if (!job.success && !external?.success) return { summary: oneLine(parsed), reason: 'not an intake job or submission (intake records such messages as rejected requests; this one failed before that)' };
    if (!job.success) return { summary: `submission ${oneLine(external?.data?.source ?? {})}`, reason: 'intake failed on every attempt (AWS errors; see the intake function logs)' };
    const { type, requestId } = job.data;
    const ref = job.data.type === 'jira.issue' ? job.data.ticket : `${job.data.repository}@${job.data.after}`;
    const summary = `${type} ${ref} ${requestId}`;
    if (!table) return { summary, reason: 'unknown (set TABLE_NAME to look the request up)' };
    const request = await getRequest(table, requestId);
    if (!request) return { summary, reason: 'no request recorded: intake failed before recording it (provider or AWS errors; see the intake function logs)' };
    return { summary, reason: `request ${request.phase}${request.rejected ? `: ${request.rejected[0]?.errors[0]?.message ?? ''}` : ''}` };
  }
  const event = parsed as { type?: unknown; subject?: unknown; id?: unknown };
  if (typeof event?.type === 'string') return { summary: `${event.type} ${String(event.subject ?? '')} ${String(event.id ?? '')}`.trim(), reason: 'delivery failed on every attempt (see the notify function logs)' };
  return { summary: oneLine(parsed), reason: 'unknown message shape' };
}

function oneLine(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

const kindOf = (dlqName: string, prefix: string) => dlqName.slice(prefix.length + 1, -'-dlq'.length);

export async function listDeadLetters(clients: DlqClients, options: DlqOptions): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (const dlq of await findDeadLetterQueues(clients.sqs, options)) {
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
  return letters;
}

export async function redrive(clients: DlqClients, options: DlqOptions, io: Io): Promise<{ moved: number; failed: number }> {
  let moved = 0;
  let failed = 0;
  for (const dlq of await findDeadLetterQueues(clients.sqs, options)) {
    const source = dlq.url.replace(/-dlq$/, '');
    let count = 0;
    for (;;) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages) {
        try {
          // Send first, then delete: a crash in between leaves a duplicate, never a loss (handlers are idempotent).
          await clients.sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: m.Body ?? '', ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0 ? { MessageAttributes: m.MessageAttributes } : {}) }));
          await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: m.ReceiptHandle! }));
          count++;
        } catch (error) {
          failed++;
          io.stderr(`hwc-provisioner: could not move ${m.MessageId} from ${dlq.name}: ${(error as Error).message}`);
        }
      }
    }
    io.stdout(`${dlq.name} -> ${nameOf(source)}: moved ${count} message${count === 1 ? '' : 's'}`);
    moved += count;
  }
  io.stdout(`redrive: ${moved} moved, ${failed} failed`);
  return { moved, failed };
}

/** Entry point from cli/main.ts; `clients` is injectable so tests can use their own. */
export async function dlqCommand(args: string[], io: Io, env: Env = process.env, clients?: DlqClients): Promise<number> {
  const { action, options } = parseDlqArgs(args, env);
  const own = clients ?? clientsFromEnv(options, env);
  try {
    if (action === 'redrive') return (await redrive(own, options, io)).failed > 0 ? 1 : 0;
    const letters = await listDeadLetters(own, options);
    for (const l of letters) {
      io.stdout(
        [`${l.queue} ${l.messageId}`, `  receive count ${l.receiveCount} (incl. this listing), sent ${l.sentAt ?? '?'}, first receive ${l.firstReceiveAt ?? '?'}, last attempt ${l.lastReceiveAt ?? '(not reported by SQS)'}`, `  ${l.summary}`, `  why: ${l.reason}`].join('\n'),
      );
    }
    io.stderr(`${letters.length} message${letters.length === 1 ? '' : 's'} in dead-letter queues under ${options.prefix}`);
    return 0;
  } finally {
    if (!clients) {
      own.sqs.destroy();
      own.table?.ddb.destroy();
    }
  }
}
