/**
 * Fails when a tracked .ts, .tsx, .mjs or .cjs file has a line over MAX_LINE characters (issue 18 item 13).
 * Biome formats to the same width, but it cannot break string literals, regular expressions or comments;
 * this catches those. Run by npm run lint: `tsx scripts/check-line-length.ts`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_LINE = 140;

/**
 * Lines allowed to stay longer, each as a file and a pattern the line must match, with the reason.
 * Keep it short: split strings with `+`, rewrap comments, build long regexes with new RegExp of joined parts.
 */
const ALLOWED: readonly { file: string; pattern: RegExp; reason: string }[] = [];

const files = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.tsx', '*.mjs', '*.cjs'], { encoding: 'utf8' })
  .split('\0')
  .filter((file) => file !== '');

const problems: string[] = [];
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // tracked but deleted in the work tree
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const length = [...line].length;
    if (length <= MAX_LINE) return;
    if (ALLOWED.some((allowed) => allowed.file === file && allowed.pattern.test(line))) return;
    problems.push(`${file}:${index + 1}: ${length} characters (max ${MAX_LINE})`);
  });
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(`${problems.length} line${problems.length === 1 ? '' : 's'} over ${MAX_LINE} characters`);
  process.exit(1);
}
console.log(`line length: ${files.length} files, no line over ${MAX_LINE} characters`);
