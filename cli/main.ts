/** The hwc-provisioner command line: validate, schema and dlq; each command lives in its own module. */
import { version } from '../package.json';
import { manifestJsonSchema, UnknownKindError } from '../shared/manifests/json-schema';
import { dlqCommand } from './dlq';
import { explainCommand } from './explain';
import { followCommand } from './follow';
import { CliError, processIo, USAGE_LINE, UsageError, type Io } from './io';
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
  schema [KIND]               print the JSON Schema of the manifest language, or of one kind
  explain KIND[.FIELD...]     describe a manifest field, e.g. explain KIND.spec.body
  dlq list|redrive            show what is in the stack's dead-letter queues and why, or move it back
      --queue NAME            one DLQ only (its name, its source queue's, or intake|dispatch|notify)
      --prefix PREFIX         stack prefix (default STACK_PREFIX, else derived from INTAKE_QUEUE_URL)
      --endpoint URL          SQS endpoint (default AWS_ENDPOINT_URL_SQS; a loopback one needs no AWS credentials)
      --format text|json      output format (default text)
  status REQUEST_ID           a request's state and each resource's, as GET /requests/{id} answers (--api-url or
                              HWCP_API_URL, token HWCP_TOKEN; --format text|json)
  watch REQUEST_ID            the same, followed until every resource is terminal, printing each change
      --interval SECONDS      how often it looks (default 2); exit 0 when all succeeded, 1 when one failed or timed out
  help                        show this help
  --version                   print the version

exit codes: 0 valid, 1 invalid manifests or policy, or a resource the policy denies (dlq: an AWS call or a move
failed), 2 usage error, unreadable path, no manifest found, or no dead-letter queue under the prefix`;

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...args] = argv;
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
      case 'status':
      case 'watch':
        return await followCommand(command, args, io);
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
