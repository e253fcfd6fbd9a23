/** Placeholder: the Notebook create body schema (being written). */
import { z } from 'zod';

export const NotebookBodySchema = z.record(z.string(), z.unknown());
export type NotebookBody = z.infer<typeof NotebookBodySchema>;
