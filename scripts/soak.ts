/**
 * `npm run soak`: the full fault-injection soak (local/soak/soak.ts). Prints a table and writes
 * reports/reliability.json; exits 1 when an invariant failed.
 *
 *   npm run soak                    500 resources created, then day 2 on about 75 of them (about 7-8 minutes)
 *   npm run soak -- --resources 120 --seed 7 --submit-minutes 2 --day2-share 0.5
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { FULL_SOAK, runSoak } = await import('../local/soak/soak');
const { formatReport } = await import('../local/soak/report');

const { values } = parseArgs({
  options: {
    resources: { type: 'string' },
    seed: { type: 'string' },
    'submit-minutes': { type: 'string' },
    'crash-probability': { type: 'string' },
    'day2-share': { type: 'string' },
    out: { type: 'string', default: 'reports/reliability.json' },
  },
});
const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
const options = {
  ...FULL_SOAK,
  resources: num(values.resources, FULL_SOAK.resources),
  seed: num(values.seed, FULL_SOAK.seed),
  submitOverMs: values['submit-minutes'] !== undefined ? Number(values['submit-minutes']) * 60_000 : FULL_SOAK.submitOverMs,
  crashProbability: num(values['crash-probability'], FULL_SOAK.crashProbability),
  day2Share: num(values['day2-share'], FULL_SOAK.day2Share),
  log: (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`),
};

const report = await runSoak(options);
// The fuzz suite's figure, when it leaves one behind; otherwise the column stays empty.
const fuzzFile = 'reports/fuzz.json';
const badInputs = existsSync(fuzzFile)
  ? ((JSON.parse(readFileSync(fuzzFile, 'utf8')) as { badInputsTried?: number; inputsTried?: number }).badInputsTried ?? null)
  : null;
const output = {
  ...report,
  badInputsTried: badInputs,
  command: `npm run soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
};
mkdirSync('reports', { recursive: true });
writeFileSync(values.out!, `${JSON.stringify(output, null, 2)}\n`);
process.stdout.write(`${formatReport(report, { badInputsTried: badInputs })}\nwritten to ${values.out}\n`);
process.exit(report.pass ? 0 : 1);
