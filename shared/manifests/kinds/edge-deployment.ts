/** Placeholder: the EdgeDeployment create body schema (being written). */
import { z } from 'zod';

export const EdgeDeploymentBodySchema = z.record(z.string(), z.unknown());
export type EdgeDeploymentBody = z.infer<typeof EdgeDeploymentBodySchema>;
