import { describe, expect, it } from 'vitest';
import { FULL_SOAK, runSoak } from '../../local/soak/soak';
import { formatReport } from '../../local/soak/report';

/**
 * The fault-injection soak, short: 60 resources of all four kinds under 30% injected Huawei faults, a
 * dispatcher process SIGKILLed at its crash points and restarted, one DynamoDB Local restart and one
 * fauxqs restart. Its own emulators (fixed ports, restartable), not the shared ones. `npm run soak` is
 * the full-size run.
 */
describe('fault-injection soak (short)', () => {
  it('creates nothing twice, loses nothing and publishes exactly one terminal event per resource', async () => {
    const lines: string[] = [];
    const report = await runSoak({
      ...FULL_SOAK,
      resources: 60,
      seed: 42,
      submitOverMs: 40_000,
      crashProbability: 0.05,
      settleTimeoutMs: 120_000,
      log: (line) => lines.push(line),
    });
    const table = formatReport(report);
    console.log(`${table}\n`);
    const context = `${table}\n${lines.join('\n')}\n${JSON.stringify(report.diagnostics, null, 1)}`;

    expect(report.resources.duplicates, context).toBe(0);
    expect(report.resources.stuck, context).toBe(0);
    expect(report.requests.lost, context).toBe(0);
    expect(report.events.resourcesWithExactlyOne, context).toBe(report.resources.requested);
    expect(report.events.requestCompletedPerRequestExactlyOne, context).toBe(true);
    expect(report.events.eventStateMismatches, context).toEqual([]);
    expect(report.failures, context).toEqual([]);
    // The disruptions really happened.
    expect(report.disruptions.processKills, context).toBeGreaterThan(0);
    expect(report.disruptions.dynamodbRestarts, context).toBe(1);
    expect(report.disruptions.sqsRestarts, context).toBe(1);
    const f = report.faults.injected;
    expect(Math.min(f.rate429, f.rate500, f.slow, f.drop), context).toBeGreaterThan(0);
  }, 240_000);
});
