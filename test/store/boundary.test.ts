/** Only shared/store/ talks to DynamoDB: no other module of the product imports a DynamoDB command. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The names a file imports from the DynamoDB packages (both the client and the document client). */
function dynamoImports(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'@aws-sdk\/(?:lib|client)-dynamodb'/g)) {
    names.push(
      ...match[1]!
        .split(',')
        .map(
          (n) =>
            n
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)[0]!,
        )
        .filter(Boolean),
    );
  }
  return names;
}

describe('the store boundary', () => {
  it('finds DynamoDB commands built nowhere under shared/, functions/ or cli/ but shared/store/', () => {
    const offenders = ['shared', 'functions', 'cli']
      .flatMap(files)
      .filter((file) => !file.startsWith(join('shared', 'store')))
      .flatMap((file) =>
        dynamoImports(readFileSync(file, 'utf8'))
          .filter((name) => /Command(Input|Output)?$/.test(name))
          .map((name) => `${file}: ${name}`),
      );
    expect(offenders).toEqual([]);
  });

  it('recognises a command import when there is one', () => {
    expect(dynamoImports("import { GetCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';")).toEqual([
      'GetCommand',
      'UpdateCommandInput',
    ]);
  });
});
