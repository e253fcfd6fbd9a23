import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What a CLI command may touch: output streams and standard input, injectable for tests. */
export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  readStdin(): Promise<string>;
}

/** The one line printed under an error: the whole help is one `help` away, and would bury the message. */
export const USAGE_LINE = 'usage: hwc-provisioner <command> [options]; see hwc-provisioner help';

/** A failure the CLI reports as one line and an exit code, never as a stack trace. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad arguments, an unreadable path or nothing to do: exit code 2, followed by a usage line. */
export class UsageError extends CliError {
  /** The command's own usage line, when the mistake is within one command. */
  readonly usage: string;
  constructor(message: string, usage: string = USAGE_LINE) {
    super('USAGE', message, 2);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

export const processIo: Io = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** A command's options and positionals as node:util parses them; a mistake is a UsageError under the command's usage. */
export function commandArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}
