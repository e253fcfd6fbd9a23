/** Regenerates schemas/*.json from the zod schemas; a test fails when the committed copies drift. */
import { writeFileSync } from 'node:fs';
import { eventJsonSchema } from '../shared/events/schema';
import { manifestJsonSchema } from '../shared/manifests/json-schema';

export const SCHEMA_FILES: Record<string, () => unknown> = {
  'schemas/manifest.schema.json': () => manifestJsonSchema(),
  'schemas/event.schema.json': () => eventJsonSchema(),
};

export function render(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [file, build] of Object.entries(SCHEMA_FILES)) {
    writeFileSync(file, render(build()));
    console.log(`wrote ${file}`);
  }
}
