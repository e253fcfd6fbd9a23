/**
 * Identical reads in flight at the same time share one call. A submission of several notebooks on one flavor, or a
 * batch of records naming the same edge node, asks Huawei the same question once per resource and at the same
 * moment; each asking costs a paced, signed round trip and a share of Huawei's per-API rate limit. Only reads
 * (GET) are shared, only while one is outstanding: nothing is cached, so a later question gets a fresh answer.
 */
import type { HuaweiCall, HuaweiResponse, HuaweiTransport } from './client';

/** Everything that makes two reads the same request: the operation, where it goes and what it asks. */
function readKey(call: HuaweiCall): string {
  const { projectId, region, poolName, iefInstanceId } = call.target;
  const query = call.query ? Object.entries(call.query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
  return JSON.stringify([
    call.operation,
    call.service,
    projectId,
    region,
    poolName,
    iefInstanceId,
    call.path,
    query,
    call.notFoundIsNormal,
  ]);
}

/**
 * The transport with concurrent identical reads coalesced. Callers sharing a read get the same answer object:
 * they read it, none changes it (the adapters' look-ups only inspect Huawei's answers).
 */
export function sharingReads(transport: HuaweiTransport): HuaweiTransport {
  const inFlight = new Map<string, Promise<HuaweiResponse>>();
  return {
    send(call) {
      if (call.method !== 'GET') return transport.send(call);
      const key = readKey(call);
      const pending = inFlight.get(key);
      if (pending) return pending;
      const sent = transport.send(call);
      inFlight.set(key, sent);
      // Forgotten once settled, whichever way: the next caller asks again.
      const forget = () => {
        if (inFlight.get(key) === sent) inFlight.delete(key);
      };
      sent.then(forget, forget);
      return sent;
    },
  };
}
