import { parseAllDocuments } from 'yaml';
const n = Number(process.argv[2]);
const shapes: Record<string, string> = {
  flowOpen: '['.repeat(n),
  flowClosed: '['.repeat(n) + ']'.repeat(n),
  seqCompact: '- '.repeat(n) + 'x',
  mapFlow: '{a: '.repeat(n) + '1' + '}'.repeat(n),
  json: '{"a":'.repeat(n) + '1' + '}'.repeat(n),
};
const src = shapes[process.argv[3]!]!;
const t = Date.now();
try {
const docs = parseAllDocuments(src, { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false, strict: true });
console.log(process.argv[3], n, 'parsed', Date.now() - t, (docs as any).length, (docs as any)[0]?.errors?.map((e: any) => e.message.slice(0, 80)));
} catch (e) { console.log(process.argv[3], n, 'THREW', (e as Error).message); }
