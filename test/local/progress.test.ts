/**
 * npm start's progress lines: the local event printer hears request.accepted on its queue and hands the request
 * to the progress follower, which reads GET /requests/{id} of the real app as `watch` does, while the real
 * dispatcher and poller move it, and prints each change once until the request ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventPrinter } from '../../local/event-printer';
import { createProgress, progressToken } from '../../local/progress';
import { notebook, serveApi, startHarness, type Harness } from '../execution/harness';

const TOKEN = 'progress-token-for-tests-0123456789abcdef';

describe('npm start progress lines', () => {
  let h: Harness;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let apiUrl: string;
  beforeAll(async () => {
    h = await startHarness();
    api = await serveApi(h, [{ caller: 'local', token: TOKEN, roles: ['submit', 'read-all'] }], { topic: true });
    apiUrl = api.url;
  });
  afterAll(async () => {
    await api.close();
    await h.close();
  });

  const until = async (lines: string[], pattern: RegExp, timeoutMs = 20_000) => {
    const stopAt = Date.now() + timeoutMs;
    while (!lines.some((l) => pattern.test(l))) {
      if (Date.now() > stopAt) throw new Error(`no line matched ${pattern}:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('follows each accepted request from Queued to its ending, one prefixed line per change, after the accepted event', async () => {
    const lines: string[] = [];
    const print = (line: string) => lines.push(line);
    // Between looks the pipeline moves, as the deployed functions would.
    const progress = createProgress({
      apiUrl,
      token: TOKEN,
      print,
      sleep: (id) => h.drive(id, { timeoutMs: 1_000 }).catch(() => undefined),
    });
    const printer = createEventPrinter({ sqs: h.stack.sqs, queueUrl: h.stack.queues.notify.url, print, follow: progress.follow });
    try {
      const response = await fetch(`${apiUrl}/requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' },
        body: notebook('progress'),
      });
      expect(response.status).toBe(202);
      const { requestId } = (await response.json()) as { requestId: string };
      await until(lines, /^\[progress\] .* Notebook\/nb-progress {2}Succeeded id=/);
      const mine = lines.filter((l) => l.startsWith('[progress]'));
      const at = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
      expect(mine[0]).toMatch(new RegExp(`^\\[progress\\] ${at} Notebook/nb-progress {2}Queued \\(request ${requestId}\\)$`));
      expect(mine.at(-1)).toMatch(
        new RegExp(`^\\[progress\\] ${at} Notebook/nb-progress {2}Succeeded id=\\S+.* \\(request ${requestId}\\)$`),
      );
      // Each change once: no state is said twice in a row.
      const states = mine.map((l) => /nb-progress {2}(\S+)/.exec(l)![1]);
      expect(states.filter((s, i) => s === states[i - 1])).toEqual([]);
      const accepted = lines.findIndex((l) => l.startsWith('[event]') && l.includes('hwc-provisioner.request.accepted'));
      expect(accepted).toBeGreaterThanOrEqual(0);
      expect(accepted).toBeLessThan(lines.indexOf(mine[0]!));
    } finally {
      await printer.stop();
      await progress.stop();
    }
  });

  it('says when a request cannot be followed, and stops following at once when the stack stops', async () => {
    const lines: string[] = [];
    const progress = createProgress({ apiUrl, token: TOKEN, print: (l) => lines.push(l), intervalMs: 60_000 });
    progress.follow('req_00000000000000000000000000');
    const requestId = await h.submitYaml(notebook('progress-stuck'));
    progress.follow(requestId);
    progress.follow(requestId);
    await until(lines, /nb-progress-stuck {2}Queued/);
    const started = Date.now();
    await progress.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(lines.filter((l) => l.includes('nb-progress-stuck'))).toHaveLength(1);
    expect(lines).toContainEqual(
      '[progress] cannot follow request req_00000000000000000000000000: no request req_00000000000000000000000000 (or not yours to read)',
    );
  });

  it('reads with a token that sees every request', () => {
    expect(
      progressToken([
        { caller: 'ci', token: 'a'.repeat(32), roles: ['submit'] },
        { caller: 'ops', token: 'b'.repeat(32), roles: ['approve', 'read-all'] },
      ]),
    ).toBe('b'.repeat(32));
    expect(progressToken([{ caller: 'ci', token: 'a'.repeat(32), roles: ['submit'] }])).toBeUndefined();
  });
});
