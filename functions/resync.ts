/** Lambda entry for the scheduled resync: queues the pushes whose webhooks were lost, one request per missed range. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { resyncConfig } from '../shared/config';
import { resyncTick } from '../shared/intake/resync';
import { createLogger, requireConfiguration } from '../shared/lambda';
import { resyncDeps } from '../shared/runtime';

const logger = createLogger('hwc-provisioner-resync');
// Cold start: an invalid configuration fails here, naming the variable, before any branch is read.
requireConfiguration('resync', logger.app);

export const handler = middy(async (_event: ScheduledEvent, context: Context) => {
  // Within the schedule's period, so ticks do not overlap, and well before Lambda's own timeout.
  const budgetMs = Math.min(resyncConfig().RESYNC_INTERVAL_MINUTES * 60_000, Math.max(1000, context.getRemainingTimeInMillis() - 10_000));
  const result = await resyncTick(await resyncDeps(logger.app), { budgetMs });
  const { queued, ...counts } = result;
  logger.app.info('resync tick', { ...counts, queued: queued.length });
  return result;
}).use(injectLambdaContext(logger.powertools));
