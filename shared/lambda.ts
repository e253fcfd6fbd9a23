/**
 * What every Lambda entry does around its handler: its logger, the Lambda context in its log lines, and its
 * configuration checked at cold start. Nothing here loads an AWS client, so an entry pays only for those it uses.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { ConfigError, parseFunctionEnv, type FunctionName } from './config';
import type { AppLogger } from './http/app';

export function createLogger(serviceName: string): { powertools: Logger; app: AppLogger } {
  const powertools = new Logger({ serviceName });
  // Powertools types its extra attributes narrowly; the domain only ever passes flat records.
  const app: AppLogger = {
    info: (message, extra) => powertools.info(message, (extra ?? {}) as never),
    warn: (message, extra) => powertools.warn(message, (extra ?? {}) as never),
    error: (message, extra) => powertools.error(message, (extra ?? {}) as never),
  };
  return { powertools, app };
}

/**
 * What Powertools' injectLambdaContext middleware does around a handler, without middy: middy's core loads
 * node:stream/web and its streaming support at every cold start, which these functions never use.
 */
export function withLambdaContext<E, R>(
  logger: Logger,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.refreshSampleRateCalculation();
    logger.addContext(context);
    logger.logEventIfEnabled(event);
    try {
      return await handler(event, context);
    } finally {
      logger.clearBuffer();
    }
  };
}

/**
 * A function's whole configuration, checked at its cold start (module load) so a bad variable is reported there,
 * named, rather than at some later first use. Logged and returned; requireConfiguration throws it.
 */
export function checkConfiguration(
  name: FunctionName,
  logger: AppLogger,
  env: Record<string, string | undefined> = process.env,
): ConfigError | undefined {
  try {
    parseFunctionEnv(name, env);
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error('configuration invalid', { code: error.code, variable: error.variable, errorMessage: error.message });
    return error;
  }
}

/** For the queue and schedule functions: an invalid configuration fails the cold start, so no message is taken in. */
export function requireConfiguration(name: FunctionName, logger: AppLogger, env?: Record<string, string | undefined>): void {
  const error = checkConfiguration(name, logger, env);
  if (error) throw error;
}
