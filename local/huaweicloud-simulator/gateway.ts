/** The API Gateway layer in front of every service route: signature check, rate limit and injected faults. */
import type { MiddlewareHandler } from 'hono';
import { verifySignature } from '../../shared/huaweicloud/signer';
import { gatewayError, huaweiError, serviceOf, type SimContext, type SimEnv } from './http';
import type { SimulatorState } from './state';

function headerRecord(c: SimContext): Record<string, string> {
  return c.req.header();
}

function throttled(c: SimContext, detail: string): Response {
  return gatewayError(c, 429, 'APIGW.0308', `The request was throttled: ${detail}`);
}

/** 5xx answers for an injected fault carry the backend's own code family, like a real backend crash. */
function injected500(c: SimContext): Response {
  return serviceOf(c.req.path) === 'IEF'
    ? huaweiError(c, 500, 'IEF.100500', 'Internal server error (simulated fault)')
    : huaweiError(c, 500, 'ModelArts.50005000', 'Internal server error (simulated fault)');
}

/**
 * Order matches what a client can observe from APIG: authentication first (401), then throttling
 * (429, the request never reaches the service), then the backend's own behaviour.
 */
export function gateway(state: SimulatorState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    // The signature covers the exact bytes, so read them before anyone parses JSON.
    const rawBody = new Uint8Array(await c.req.arrayBuffer());
    c.set('rawBody', rawBody);
    const verdict = verifySignature({ method: c.req.method, url: c.req.url, headers: headerRecord(c), body: rawBody }, state.lookupSk, {
      now: new Date(state.now()),
    });
    if (!verdict.ok) return gatewayError(c, 401, 'APIGW.0301', `Incorrect IAM authentication information: ${verdict.reason}`);

    if (!state.admit()) {
      c.set('fault', 'rate-limit');
      return throttled(c, `more than ${state.config.rateLimitPerSecond} requests per second for this user`);
    }

    const fault = state.faults.draw();
    if (fault) c.set('fault', fault);
    if (fault === '429') return throttled(c, 'simulated throttling fault');
    if (fault === '500') return injected500(c);

    await next();

    if (fault === 'slow') {
      // Already processed: like a slow backend, the work is committed and only the answer is late.
      await state.delay(state.faults.settings.slowMs);
    } else if (fault === 'drop') {
      const socket = c.env?.incoming?.socket;
      if (!socket) throw new Error('drop fault needs a Node HTTP server (startSimulator), not app.request()');
      // Committed, then the connection vanishes without a status line: the client cannot know.
      socket.destroy();
    }
  };
}
