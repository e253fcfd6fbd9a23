/** Placeholder: the ResourcePool create body schema (being written). */
import { z } from 'zod';

export const ResourcePoolBodySchema = z.record(z.string(), z.unknown());
export type ResourcePoolBody = z.infer<typeof ResourcePoolBodySchema>;
