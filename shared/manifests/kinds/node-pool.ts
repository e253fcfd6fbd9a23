/** Placeholder: the NodePool create body schema (being written). */
import { z } from 'zod';

export const NodePoolBodySchema = z.record(z.string(), z.unknown());
export type NodePoolBody = z.infer<typeof NodePoolBodySchema>;
