/** Notebook updates driven to convergence against the simulator: stop, PUT and start exactly once each for a flavor change. */
import { describe, expect, it } from 'vitest';
import { notebook } from '../../../shared/kinds/notebook';
import { notebookMarker } from '../../../shared/kinds/ownership';
import { admin, notebookBody, PID } from '../../simulator/helpers';
import { converge, createAndWait, ledger, ops, resourceOf, simulatorPerFile, target } from '../update-harness';

const ctx = simulatorPerFile();
const marked = (name: string, text: string) => `${text}${notebookMarker(PID, name)}`;

describe('Notebook update', () => {
  it('a flavor change: stop, PUT while stopped, start — each once — and the ownership mark stays', async () => {
    const resource = resourceOf('nb-flavor', notebookBody('nb-flavor'));
    const id = await createAndWait(ctx.cloud, notebook, resource);
    const changed = resourceOf('nb-flavor', notebookBody('nb-flavor', { flavor: 'modelarts.vm.cpu.8u' }));
    const steps = await converge(ctx.cloud, notebook, changed, id);

    expect(steps.filter((s) => s.status === 'sent').map((s) => (s as { message: string }).message)).toEqual([
      'stopping the notebook to change flavor',
      'updated flavor while stopped',
      'starting the notebook',
    ]);
    expect(steps.at(-1)).toEqual({ status: 'converged' });
    const entry = await ledger(ctx.sim.url, id);
    expect(entry.operations.map((o: any) => o.op)).toEqual(['stop', 'update', 'start']);
    expect(entry.operations[1].body).toEqual({ flavor: 'modelarts.vm.cpu.8u' });
    expect(entry).toMatchObject({
      status: 'RUNNING',
      body: { flavor: 'modelarts.vm.cpu.8u', description: marked('nb-flavor', 'simulator test') },
    });
    expect(notebook.compare(changed.spec, (await notebook.observe(ctx.cloud, target, id)).observed)).toEqual([]);
  });

  it('name, description and storage growth: one PUT while running, the description keeping the mark', async () => {
    const id = await createAndWait(ctx.cloud, notebook, resourceOf('nb-live', notebookBody('nb-live')));
    const changed = resourceOf(
      'nb-live',
      notebookBody('nb-live', {
        name: 'nb-live-2',
        description: 'changed',
        volume: { category: 'EVS', ownership: 'MANAGED', capacity: 20 },
      }),
    );
    const steps = await converge(ctx.cloud, notebook, changed, id);
    expect(steps.map((s) => s.status)).toContain('waiting'); // the EVS volume resizing
    const entry = await ledger(ctx.sim.url, id);
    expect(entry.operations).toMatchObject([
      { op: 'update', body: { name: 'nb-live-2', description: marked('nb-live', 'changed'), storage_new_size: 20 } },
    ]);
  });

  it('already converged: no call at all', async () => {
    const resource = resourceOf('nb-same', notebookBody('nb-same'));
    const id = await createAndWait(ctx.cloud, notebook, resource);
    expect(await converge(ctx.cloud, notebook, resource, id)).toEqual([{ status: 'converged' }]);
    expect(await ops(ctx.sim.url, id)).toEqual([]);
  });

  it('repeating a step after it applied sends nothing new', async () => {
    const id = await createAndWait(ctx.cloud, notebook, resourceOf('nb-repeat', notebookBody('nb-repeat')));
    const changed = resourceOf('nb-repeat', notebookBody('nb-repeat', { description: 'once' }));
    const first = await notebook.update(ctx.cloud, changed, target, id, await notebook.observe(ctx.cloud, target, id));
    expect(first).toEqual({ status: 'sent', message: 'updated description' });
    const again = await notebook.update(ctx.cloud, changed, target, id, await notebook.observe(ctx.cloud, target, id));
    expect(again).toEqual({ status: 'converged' });

    const flavored = resourceOf('nb-repeat', notebookBody('nb-repeat', { description: 'once', flavor: 'modelarts.vm.cpu.8u' }));
    expect((await notebook.update(ctx.cloud, flavored, target, id, await notebook.observe(ctx.cloud, target, id))).status).toBe('sent');
    // The stop applied: the repeat sees STOPPING and waits instead of stopping again.
    const repeat = await notebook.update(ctx.cloud, flavored, target, id, await notebook.observe(ctx.cloud, target, id));
    expect(repeat).toEqual({ status: 'waiting', message: 'the notebook is STOPPING' });
    expect(await ops(ctx.sim.url, id)).toEqual(['update', 'stop']);
  });

  it('under 5xx faults and dropped answers, each change still applies exactly once', async () => {
    const id = await createAndWait(ctx.cloud, notebook, resourceOf('nb-faults', notebookBody('nb-faults')));
    await admin(ctx.sim.url, 'POST', '/faults', { rate500: 0.2, rateDrop: 0.15, seed: 7 });
    const changed = resourceOf('nb-faults', notebookBody('nb-faults', { flavor: 'modelarts.vm.cpu.8u', image_id: 'image-2' }));
    const steps = await converge(ctx.cloud, notebook, changed, id, target, 15_000);
    const { counts } = (await admin(ctx.sim.url, 'GET', '/faults')).body;
    await admin(ctx.sim.url, 'POST', '/faults', {});
    expect(steps.at(-1)).toEqual({ status: 'converged' });
    const entry = await ledger(ctx.sim.url, id);
    // The transport repeats a PUT whose answer was lost (the same whole value, so nothing applies twice); the
    // update steps themselves never resend: one stop, one change, one start.
    const collapsed = entry.operations.filter((o: any, i: number) => i === 0 || o.op !== entry.operations[i - 1].op);
    expect(collapsed.map((o: any) => o.op)).toEqual(['stop', 'update', 'start']);
    const puts = entry.operations.filter((o: any) => o.op === 'update');
    expect(new Set(puts.map((o: any) => JSON.stringify(o.body))).size).toBe(1);
    expect(counts.rate500 + counts.drop).toBeGreaterThan(0);
  });

  it('a notebook that failed ends the update Failed without a call', async () => {
    const resource = resourceOf('nb-err', notebookBody('nb-err'));
    const observation = { phase: 'Failed' as const, reason: 'ERROR', observed: { id: 'x', status: 'ERROR', fail_reason: 'host lost' } };
    const noCalls = { send: () => Promise.reject(new Error('no call expected')) };
    expect(await notebook.update(noCalls as never, resource, target, 'x', observation)).toEqual({
      status: 'failed',
      reason: 'ERROR',
      message: 'the notebook is ERROR: host lost',
    });
  });
});
