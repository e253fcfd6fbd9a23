/** The hwc-provisioner command line: offline checks, the stack's queues, and requests through the API; one module per command. */
import { version } from '../package.json';
import { manifestJsonSchema, UnknownKindError } from '../shared/manifests/json-schema';
import { dlqCommand } from './dlq';
import { explainCommand } from './explain';
import { followCommand } from './follow';
import { CliError, processIo, USAGE_LINE, UsageError, type Io } from './io';
import { resourcesCommand } from './resources';
import { submitCommand } from './submit';
import { validateCommand } from './validate';

const USAGE = `usage: hwc-provisioner <command> [options]

commands:
  validate [PATH...]          validate manifest files or directories (- reads standard input) as one submission,
                              with the service's checks across them (a kind/name declared twice, a poolRef to a
                              pool in another project or region)
      --project-id ID         the service's default project (default HUAWEICLOUD_SDK_PROJECT_ID, else an unnamed
                              one: every working stack has a default project)
      --no-default-project    check as a service configured without one: spec.projectId is then required
      --region REGION         the service's default region (default HUAWEICLOUD_REGION, else cn-north-4)
      --policy FILE           check a policy document (alone when no PATH is given), and give each manifest's verdict
      --source SOURCE         who submits, for the verdicts: github:owner/repo@branch, gitlab:group/project@branch,
                              jira:KEY-1, api:caller or queue:system (owner groups from OWNER_GROUPS)
      --format text|json      output format (default text)
  schema [KIND]               print the JSON Schema of the manifest language, or of one kind (JSON only)
  explain KIND[.FIELD...]     describe a manifest field, e.g. explain KIND.spec.body
      --format text|json      output format (default text)
  dlq list|redrive            show what is in the stack's dead-letter queues and why, or move it back
      --queue NAME            one DLQ only (its name, its source queue's, or intake|dispatch|notify)
      --prefix PREFIX         stack prefix (default STACK_PREFIX, else derived from INTAKE_QUEUE_URL)
      --endpoint URL          SQS endpoint (default AWS_ENDPOINT_URL_SQS; a loopback one needs no AWS credentials)
      --format text|json      output format (default text)

against the API (--api-url URL or HWCP_API_URL; the token from HWCP_TOKEN; --format text|json on each):
  submit FILE...              POST /requests with the files' manifests as one request (- reads standard input);
                              prints the request id, each resource's state, where to follow it and its page
      --wait                  then follow it as watch does (--interval SECONDS, default 2)
      --dry-run               what it would do (create, update, exists...), with nothing queued
      --idempotency-key KEY   a retry with the same key and files answers the first request, not a second one
  status REQUEST_ID           a request's state and each resource's, as GET /requests/{id} answers
  watch REQUEST_ID            a request followed until every resource is terminal, printing each change
      --interval SECONDS      how often it looks (default 2); JSON: a line per change, then the request
  resources                   the managed resources you may see: kind, name, project, owner, state, conditions
                              (Ready, Synced, Healthy), Huawei id, drift count; every page, unless --limit
      --kind KIND             one kind only
      --owner NAMESPACE       one owner only, e.g. github:acme/infra or api:ci
      --limit N               at most N resources

  help, COMMAND --help        show this help, or one command's
  --version                   print the version

exit codes: 0 valid, 1 invalid manifests or policy, or a resource the policy denies (dlq: an AWS call or a move
failed), 2 usage error, unreadable path, no manifest found, or no dead-letter queue under the prefix.
submit, status, watch: 0 accepted (--wait, watch: all succeeded), 1 rejected (422, each error printed), or a
resource failed, timed out or was cancelled, 2 usage error, unreadable file, or the API, token or request refused`;

/** One command's part of the help: its lines and their options, with the API's line for the commands that call it. */
function commandHelp(command: string): string | undefined {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  ${command} `) || line === `  ${command}`);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && /^ {6}/.test(lines[end]!)) end++;
  const api = lines.findIndex((line) => line.startsWith('against the API'));
  return [`usage: hwc-provisioner ${command} [options]`, '', ...lines.slice(start, end), ...(start > api ? ['', lines[api]!] : [])].join(
    '\n',
  );
}

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...args] = argv;
  const help = command && (args.includes('--help') || args.includes('-h')) ? commandHelp(command) : undefined;
  if (help) {
    io.stdout(help);
    return 0;
  }
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(args, io);
      case 'schema': {
        if (args.length > 1) throw new UsageError('schema takes at most one KIND');
        io.stdout(JSON.stringify(manifestJsonSchema(args[0]), null, 2));
        return 0;
      }
      case 'explain':
        return await explainCommand(args, io);
      case 'dlq':
        return await dlqCommand(args, io);
      case 'submit':
        return await submitCommand(args, io);
      case 'status':
      case 'watch':
        return await followCommand(command, args, io);
      case 'resources':
        return await resourcesCommand(args, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return 0;
      case '--version':
        io.stdout(version);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`hwc-provisioner: ${error.message}`);
      if (error instanceof UsageError) io.stderr(error.usage);
      return error.exitCode;
    }
    if (error instanceof UnknownKindError) {
      io.stderr(`hwc-provisioner: ${error.message}`);
      io.stderr(USAGE_LINE);
      return 2;
    }
    throw error;
  }
}
