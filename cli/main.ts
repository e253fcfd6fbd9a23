/** The hwc-provisioner command line: validate, schema and dlq; each command lives in its own module. */
import { manifestJsonSchema, UnknownKindError } from '../shared/manifests/json-schema';
import { dlqCommand } from './dlq';
import { processIo, UsageError, type Io } from './io';
import { validateCommand } from './validate';

const USAGE = `usage: hwc-provisioner <command> [options]

commands:
  validate PATH...            validate manifest files or directories (- reads standard input)
      --format text|json      output format (default text)
  schema [KIND]               print the JSON Schema of the manifest language, or of one kind
  dlq list|redrive            show what is in the stack's dead-letter queues and why, or move it back
      --queue NAME            one DLQ only (its name, its source queue's, or intake|dispatch|notify)
      --prefix PREFIX         stack prefix (default STACK_PREFIX, else derived from INTAKE_QUEUE_URL)
      --endpoint URL          SQS endpoint (default AWS_ENDPOINT_URL_SQS)
  help                        show this help

exit codes: 0 valid, 1 invalid manifests, 2 usage error, unreadable path or no manifest found`;

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
      case 'dlq':
        return await dlqCommand(args, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof UnknownKindError) {
      io.stderr(`hwc-provisioner: ${error.message}`);
      if (error instanceof UsageError) io.stderr(USAGE);
      return 2;
    }
    throw error;
  }
}
