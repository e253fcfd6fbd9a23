/** Lambda entry for the scheduled poller: one tick over the due index, within the invocation's time. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { executionConfig, queuedGraceSeconds } from '../shared/config';
import { driftTick } from '../shared/reconcile/drift';
import { pollTick } from '../shared/reconcile/poll';
import { createLogger, requireConfiguration } from '../shared/lambda';
import { executionDeps } from '../shared/runtime';

const logger = createLogger('hwc-provisioner-poll');
// Cold start: an invalid configuration fails here, naming the variable, before any message is taken in.
requireConfiguration('poll', logger.app);

export const handler = middy(async (_event: ScheduledEvent, context: Context) => {
  const timing = executionConfig();
  // Leave room to finish the work already started: the budget ends well before Lambda's own timeout.
  const budgetMs = Math.min(timing.POLL_TICK_BUDGET_SECONDS * 1000, Math.max(1000, context.getRemainingTimeInMillis() - 10_000));
  const started = Date.now();
  const deps = executionDeps(logger.app);
  // In-flight work first, with two thirds of the budget; looks for drift get the rest, and what they leave stays due.
  const stats = await pollTick(deps, {
    budgetMs: Math.round((budgetMs * 2) / 3),
    concurrency: timing.POLL_CONCURRENCY,
    requeueGraceSeconds: queuedGraceSeconds(),
  });
  const drift = await driftTick(deps, {
    budgetMs: Math.max(0, budgetMs - (Date.now() - started)),
    concurrency: timing.POLL_CONCURRENCY,
    intervalMinutes: timing.DRIFT_INTERVAL_MINUTES,
  });
  logger.app.info('poll tick', { ...stats, drift });
  return { ...stats, drift };
}).use(injectLambdaContext(logger.powertools));
