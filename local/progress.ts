/**
 * npm start's progress lines: each accepted request is followed through GET /requests/{id} exactly as
 * `hwc-provisioner watch` follows one (cli/follow.ts), so the terminal shows queued, waiting, creating, updating
 * and deleting as they happen, not only the completion events.
 */
import { connect } from '../cli/api';
import { followRequest, lookRequest, resourceLine } from '../cli/follow';
import type { ApiToken } from '../shared/config';

export interface Progress {
  /** Starts following a request, unless it is followed already; returns at once. */
  follow(requestId: string): void;
  /** Ends every following and waits for them. */
  stop(): Promise<void>;
}

/** A token that reads every request: the stack's requests come from pushes and tickets too, not only from one caller. */
export function progressToken(tokens: readonly ApiToken[]): string | undefined {
  return tokens.find((t) => t.roles.includes('read-all'))?.token;
}

export function createProgress(opts: {
  apiUrl: string;
  token: string;
  print: (line: string) => void;
  /** How often a followed request is looked at (default 1 s). */
  intervalMs?: number;
  /** For tests: what happens between looks, instead of waiting intervalMs. */
  sleep?: (requestId: string) => Promise<void>;
  now?: () => Date;
}): Progress {
  const api = connect(opts.apiUrl, { HWCP_TOKEN: opts.token }, 'npm start');
  const now = opts.now ?? (() => new Date());
  const intervalMs = opts.intervalMs ?? 1_000;
  const controller = new AbortController();
  const { signal } = controller;
  const following = new Map<string, Promise<void>>();

  // Cut short when the stack stops, so Ctrl-C never waits for a look.
  const wait = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, intervalMs);
      signal.addEventListener('abort', done);
    });

  return {
    follow(requestId) {
      if (signal.aborted || following.has(requestId)) return;
      const run = followRequest(() => lookRequest(api, requestId), {
        sleep: opts.sleep ? () => opts.sleep!(requestId) : wait,
        signal,
        onLook: (view, changed) => {
          for (const r of changed) opts.print(`[progress] ${now().toISOString()} ${resourceLine(r)} (request ${view.requestId})`);
        },
      })
        .then(
          () => undefined,
          (error: Error) => {
            if (!signal.aborted) opts.print(`[progress] cannot follow request ${requestId}: ${error.message}`);
          },
        )
        .finally(() => following.delete(requestId));
      following.set(requestId, run);
    },
    async stop() {
      controller.abort();
      await Promise.all(following.values());
    },
  };
}
