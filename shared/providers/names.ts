/**
 * Syntax of the values a push carries into keys, URLs and logs. Checked at the webhook so nothing is accepted
 * that intake could not record; the queue's job schemas check them again because other code may enqueue.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/** SHA-1 object ids (40 hex) and SHA-256 ones (64 hex); the all-zero id marks a created or deleted branch. */
export const CommitIdSchema = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a commit id (40 or 64 lowercase hex digits)');

/** GitHub's rules: owner 1-39 of letters, digits and inner hyphens; repository 1-100 of letters, digits, . _ - but not . or .. */
export const GithubRepositorySchema = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/, 'must be owner/repository as GitHub spells them');

/** Groups, subgroups and project: segments of letters, digits, _ . - that are not . or .. (GitLab's path rules, loosely). */
export const GitlabProjectPathSchema = z
  .string()
  .max(255)
  .regex(
    /^(?:(?!\.\.?\/)[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}\/)+(?!\.\.?$)[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/,
    'must be a GitLab project path (group/project)',
  );

const PLAIN_DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A provider's delivery header as logs and records keep it. Providers send UUIDs; anything else (too long,
 * control characters) is replaced by its digest, so a header can never grow a stored item or forge a log line.
 */
export function boundedDeliveryId(header: string): string {
  return PLAIN_DELIVERY_ID.test(header) ? header : `sha256:${createHash('sha256').update(header).digest('hex').slice(0, 32)}`;
}
