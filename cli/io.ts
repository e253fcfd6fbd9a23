/** What a CLI command may touch: output streams and standard input, injectable for tests. */
export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  readStdin(): Promise<string>;
}

/** Bad arguments, an unreadable path or nothing to do: exit code 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
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
