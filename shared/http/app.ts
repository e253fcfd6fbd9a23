/** The HTTP API as a Hono app: the same app serves Lambda (hono/aws-lambda) and the local stack (@hono/node-server). */
import { Hono } from 'hono';

export interface AppLogger {
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export interface AppDeps {
  logger: AppLogger;
}

export function createApp(_deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  return app;
}
