import { describe, expect, it } from 'vitest';
import { FULL_SOAK, runSoak } from '../../local/soak/soak';
import { formatReport } from '../../local/soak/report';

/**
 * The fault-injection soak, short: 60 resources of all four kinds under 30% injected Huawei faults, then
 * updates, replacements, deletes and orphans of some of them, a dispatcher-and-poller process SIGKILLed at its
 * crash points and restarted, one DynamoDB Local restart and one fauxqs restart. Its own emulators (fixed
 * ports, restartable), not the shared ones. `npm run soak` is the full-size run.
 */
describe('fault-injection soak (short)', () => {
  it('creates nothing twice, loses nothing, changes and deletes exactly once, one terminal event per resource', async () => {
    const lines: string[] = [];
    const report = await runSoak({
      ...FULL_SOAK,
      resources: 60,
      seed: 42,
      submitOverMs: 40_000,
      crashProbability: 0.05,
      day2CrashProbability: 0.15,
      day2Share: 0.6,
      settleTimeoutMs: 120_000,
      log: (line) => lines.push(line),
    });
    const table = formatReport(report);
    console.log(`${table}\n`);
    // Not an invariant (a fault may end a resource Failed), but worth reading: which, and why.
    const unexpected = report.diagnostics.filter((d) => d.problem === 'unexpected outcome');
    if (unexpected.length > 0) console.log(JSON.stringify(unexpected, null, 1).slice(0, 20_000));
    const context = `${table}\n${lines.join('\n')}\n${JSON.stringify(report.diagnostics, null, 1)}`;

    expect(report.resources.duplicates, context).toBe(0);
    expect(report.resources.stuck, context).toBe(0);
    expect(report.requests.lost, context).toBe(0);
    expect(report.events.resourcesWithExactlyOne, context).toBe(report.resources.requested);
    expect(report.events.requestCompletedPerRequestExactlyOne, context).toBe(true);
    expect(report.events.eventStateMismatches, context).toEqual([]);
    expect(report.day2.updatesLost, context).toBe(0);
    expect(report.day2.updatesAppliedTwice, context).toBe(0);
    expect(report.day2.deletesUndone, context).toBe(0);
    expect(report.day2.leftBehindByReplacement, context).toBe(0);
    expect(report.failures, context).toEqual([]);
    // Day 2 really happened: updates and deletes reached Huawei.
    expect(report.day2.resources.updates + report.day2.resources.recreates, context).toBeGreaterThan(0);
    expect(report.day2.resources.deletes, context).toBeGreaterThan(0);
    expect(report.day2.updateCalls, context).toBeGreaterThan(0);
    // The disruptions really happened.
    expect(report.disruptions.processKills, context).toBeGreaterThan(0);
    expect(report.disruptions.dynamodbRestarts, context).toBe(1);
    expect(report.disruptions.sqsRestarts, context).toBe(1);
    const f = report.faults.injected;
    expect(Math.min(f.rate429, f.rate500, f.slow, f.drop), context).toBeGreaterThan(0);
  }, 240_000);
});
