/** Regenerates schemas/*.json from the zod schemas; a test fails when the committed copies drift. */
import { writeFileSync } from 'node:fs';
import * as z from 'zod';
import { eventJsonSchema } from '../shared/events/schema';
import { ExternalSubmissionSchema } from '../shared/intake/messages';
import { manifestJsonSchema } from '../shared/manifests/json-schema';

/** The message another system sends to the intake queue (docs/intake-queue.md). */
function intakeMessageJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(ExternalSubmissionSchema, { target: 'draft-07', io: 'input' }) as Record<string, unknown>),
    $id: 'https://hwc-provisioner.dev/schemas/intake-message.schema.json',
    title: 'hwc-provisioner intake queue message',
  };
}

export const SCHEMA_FILES: Record<string, () => unknown> = {
  'schemas/manifest.schema.json': () => manifestJsonSchema(),
  'schemas/event.schema.json': () => eventJsonSchema(),
  'schemas/intake-message.schema.json': () => intakeMessageJsonSchema(),
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
