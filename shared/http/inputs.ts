/**
 * What the API's routes parse from their callers beside the manifests: an approval decision's body and a removal's
 * query. Apart from schemas.ts (what the routes answer, for the description) so that the functions serving the
 * routes build only these at cold start.
 */
import * as z from 'zod';

export const DecisionBodySchema = z
  .object({
    comment: z
      .string({ error: 'comment must be a string of at most 1,000 characters' })
      .max(1_000, { error: 'comment must be a string of at most 1,000 characters' })
      .optional()
      .describe('Said to the requester with the decision'),
  })
  .describe('Optional: an empty body decides without a comment');

/** Each query field of DELETE /resources/{kind}/{name}, with the code a bad value is refused with. */
export const DELETE_QUERY_CODES = {
  projectId: 'INVALID_PROJECT_ID',
  region: 'INVALID_REGION',
  deletionPolicy: 'INVALID_DELETION_POLICY',
} as const;

export const DeleteQuerySchema = z.object({
  projectId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'projectId must be 1-64 letters, digits or -' })
    .optional()
    .describe('The Huawei Cloud project; the configured default project when absent (400 PROJECT_ID_REQUIRED if there is none)'),
  region: z
    .string()
    .regex(/^[a-z]{2}-[a-z]+-\d{1,2}$/, { error: 'region must look like cn-north-4' })
    .optional()
    .describe('Only needed when the name is managed in several regions of the project'),
  deletionPolicy: z
    .enum(['Delete', 'Orphan'], { error: 'deletionPolicy must be Delete or Orphan' })
    .default('Delete')
    .describe('Delete removes it from Huawei Cloud; Orphan leaves it running and stops managing it'),
});
