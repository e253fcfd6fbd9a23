/** The soak's figures as a plain-text table (what `npm run soak` prints). */
import type { SoakReport } from './soak';

export function formatReport(report: SoakReport, extra: { badInputsTried?: number | null } = {}): string {
  const r = report;
  const f = r.faults.injected;
  const rows: [string, string | number, string?][] = [
    [
      'resources requested',
      r.resources.requested,
      Object.entries(r.resources.byKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
    ],
    [
      'requests',
      r.requests.planned,
      `${r.requests.day2} of them day 2; ${r.requests.resubmitted} re-sent with the same id, ${r.requests.submitRetries} submit retries`,
    ],
    [
      'day-2 resources',
      r.day2.resources.updates + r.day2.resources.recreates + r.day2.resources.deletes + r.day2.resources.orphans,
      `updates ${r.day2.resources.updates}, replacements ${r.day2.resources.recreates}, deletes ${r.day2.resources.deletes}, ` +
        `orphans ${r.day2.resources.orphans}; ${Object.entries(r.day2.outcomes)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
    ],
    ['updates lost', r.day2.updatesLost, 'must be 0'],
    [
      'updates applied twice',
      r.day2.updatesAppliedTwice,
      `must be 0; ${r.day2.updateCalls} distinct update calls, ${r.day2.updateRetries} idempotent retries (same body), ` +
        `${r.day2.restarts} notebook restarts for ${r.day2.restartsExpected} flavor changes`,
    ],
    ['deletes undone', r.day2.deletesUndone, 'must be 0'],
    ['left behind by a replacement', r.day2.leftBehindByReplacement, 'must be 0'],
    ['orphans removed', r.day2.orphansRemoved, 'must be 0'],
    ['resources created in the simulator', r.resources.createdInSimulator, `expected ${r.resources.expectedCreates}`],
    ['duplicates', r.resources.duplicates, 'must be 0'],
    [
      'terminal states',
      Object.values(r.resources.outcomes).reduce((a, b) => a + b, 0),
      Object.entries(r.resources.outcomes)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
    ],
    [
      'unexpected outcomes',
      r.resources.unexpectedOutcomes.length,
      r.resources.unexpectedOutcomes
        .slice(0, 3)
        .map((u) => `${u.resource}: ${u.actual} ${u.reason ?? ''}`)
        .join('; '),
    ],
    ['terminal events received', r.events.received, `${r.events.unique} unique by id, ${r.events.duplicatesDropped} repeats dropped`],
    [
      'resources with exactly 1 terminal event',
      `${r.events.resourcesWithExactlyOne}/${r.resources.requested}`,
      'after de-duplication by id',
    ],
    ['request.completed exactly once per request', r.events.requestCompletedPerRequestExactlyOne ? 'yes' : 'NO'],
    ['requests lost', r.requests.lost, 'must be 0'],
    ['stuck', r.resources.stuck, 'must be 0'],
    [
      'messages left in DLQs',
      r.dlq.messages,
      Object.entries(r.dlq.byReason)
        .map(([k, n]) => `${n}x ${k}`)
        .join('; '),
    ],
    ['messages left to the poller', r.dlq.leftToPoller, 'out of receives, for a resource the poller queues again: not dead-lettered'],
    [
      'faults injected',
      f.rate429 + f.rate500 + f.slow + f.drop,
      `429 ${f.rate429}, 500 ${f.rate500}, slow ${f.slow}, drop ${f.drop} of ${r.faults.apiCalls} API calls`,
    ],
    [
      'dispatcher process kills (SIGKILL)',
      r.disruptions.processKills,
      Object.entries(r.disruptions.killsByPoint)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
    ],
    [
      'restarts',
      `${r.disruptions.dynamodbRestarts + r.disruptions.sqsRestarts + r.disruptions.dispatcherStarts - 1}`,
      `DynamoDB Local ${r.disruptions.dynamodbRestarts} (${r.disruptions.dynamodbRestartMs} ms), fauxqs ` +
        `${r.disruptions.sqsRestarts} (${r.disruptions.sqsRestartMs} ms, ${r.disruptions.dispatchMessagesLostInSqsRestart} ` +
        `dispatch messages lost), dispatcher ${r.disruptions.dispatcherStarts - 1}`,
    ],
    [
      'load held',
      `${r.load.resourcesPerMinuteSubmitted}/min`,
      `submitted over ${r.load.submitWindowSeconds} s; all settled ${r.load.settleSeconds} s later ` +
        `(${r.load.resourcesPerMinuteFinished}/min end to end); per resource p50 ${r.load.resourceSeconds.p50} ` +
        `s, p95 ${r.load.resourceSeconds.p95} s, max ${r.load.resourceSeconds.max} s`,
    ],
    [
      'bad inputs tried',
      extra.badInputsTried ?? '-',
      extra.badInputsTried == null ? 'from the fuzz suite (not run here)' : 'from the fuzz suite',
    ],
    ['duration', `${r.durationSeconds} s`, `seed ${r.options.seed}`],
    ['result', r.pass ? 'PASS' : 'FAIL', r.failures.join('; ')],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => String(value).length));
  return rows
    .map(([label, value, note]) => `${label.padEnd(width)}  ${String(value).padStart(valueWidth)}${note ? `  ${note}` : ''}`)
    .join('\n');
}
