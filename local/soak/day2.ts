/**
 * The soak's day-2 checks: what updates, replacements, deletes and orphans did to Huawei, read from the
 * simulator's ledger (GET /__sim/resources?include=deleted: every resource created since the start, deleted ones too, with its
 * current body and its `operations` log), compared with what each request asked and how it ended.
 *
 * - updates lost: a resource whose last successful change is not what Huawei holds (the fields those changes set);
 * - updates applied twice: more distinct update calls than update requests (an identical body sent again after a
 *   lost answer is an idempotent retry, counted apart), or more notebook stops than flavor changes;
 * - deletes undone: a resource deleted (request ended Deleted) that is live at the end, or created again after;
 * - left behind by a replacement: after a Recreate, an older resource under the name still live;
 * - orphans removed: an orphaned resource (left running, no longer managed) that is not running any more.
 */
import type { PlannedChange, PlannedRequest, PlannedResource } from './workload';

export interface SimLedgerEntry {
  kind: string;
  id: string;
  name: string;
  createdAt?: string;
  outcome?: string;
  deleted?: boolean;
  requestId?: string;
  body?: Record<string, unknown>;
  operations?: { op: 'update' | 'stop' | 'start' | 'delete'; at: string; requestId: string; body?: unknown }[];
}

export interface Day2Report {
  requests: number;
  resources: { updates: number; recreates: number; deletes: number; orphans: number };
  /** Per operation, the terminal states reached (`update Succeeded 40`). */
  outcomes: Record<string, number>;
  updatesLost: number;
  updatesLostResources: { resource: string; field: string; expected: unknown; observed: unknown }[];
  updatesAppliedTwice: number;
  updatesAppliedTwiceResources: string[];
  /** Update calls Huawei applied as distinct changes, and identical bodies sent again (idempotent retries). */
  updateCalls: number;
  updateRetries: number;
  /** Notebook stops (each a restart), against the flavor changes asked. */
  restarts: number;
  restartsExpected: number;
  deletesUndone: number;
  deletesUndoneResources: string[];
  leftBehindByReplacement: number;
  leftBehindResources: string[];
  orphansRemoved: number;
  orphansRemovedResources: string[];
}

export interface Day2Input {
  tracked: { plan: PlannedRequest; requestId: string; acceptedAt?: number }[];
  /** The terminal record of each request's resource, by `requestId/kind/name`. */
  stored: Map<string, { state: string; operation?: string }>;
  simResources: SimLedgerEntry[];
}

export interface Day2Result {
  report: Day2Report;
  failures: string[];
  /** `kind/huaweiName` → what is wrong with it, for the diagnostics. */
  troubled: Map<string, string>;
  /** Huawei resources expected under each `kind/huaweiName`: 1, plus one per replacement that succeeded. */
  expectedPerName: Map<string, number>;
}

interface Step {
  index: number;
  acceptedAt?: number;
  resource: PlannedResource;
  state: string;
  succeeded: boolean;
}

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : 0);
const live = (e: SimLedgerEntry) => e.outcome !== 'deleted';

function same(change: PlannedChange, observed: unknown): boolean {
  if (change.prefix) return typeof observed === 'string' && observed.startsWith(String(change.expected));
  return JSON.stringify(observed) === JSON.stringify(change.expected);
}

export function day2Checks(input: Day2Input): Day2Result {
  const history = new Map<string, Step[]>();
  const report: Day2Report = {
    requests: input.tracked.filter((t) => t.plan.after !== undefined).length,
    resources: { updates: 0, recreates: 0, deletes: 0, orphans: 0 },
    outcomes: {},
    updatesLost: 0,
    updatesLostResources: [],
    updatesAppliedTwice: 0,
    updatesAppliedTwiceResources: [],
    updateCalls: 0,
    updateRetries: 0,
    restarts: 0,
    restartsExpected: 0,
    deletesUndone: 0,
    deletesUndoneResources: [],
    leftBehindByReplacement: 0,
    leftBehindResources: [],
    orphansRemoved: 0,
    orphansRemovedResources: [],
  };
  for (const t of input.tracked) {
    for (const r of t.plan.resources) {
      if (!r.operation) continue;
      const s = input.stored.get(`${t.requestId}/${r.kind}/${r.name}`);
      const state = s?.state ?? 'Missing';
      const succeeded = state === r.expected && (r.expected !== 'Succeeded' || s?.operation === r.operation);
      const plural = ({ update: 'updates', recreate: 'recreates', delete: 'deletes', orphan: 'orphans' } as const)[r.operation];
      report.resources[plural]++;
      report.outcomes[`${r.operation} ${state}`] = (report.outcomes[`${r.operation} ${state}`] ?? 0) + 1;
      const name = `${r.kind}/${r.huaweiName}`;
      history.set(name, [
        ...(history.get(name) ?? []),
        { index: t.plan.index, ...(t.acceptedAt ? { acceptedAt: t.acceptedAt } : {}), resource: r, state, succeeded },
      ]);
    }
  }
  const simByName = new Map<string, SimLedgerEntry[]>();
  for (const e of input.simResources) simByName.set(`${e.kind}/${e.name}`, [...(simByName.get(`${e.kind}/${e.name}`) ?? []), e]);
  for (const entries of simByName.values()) entries.sort((a, b) => time(a.createdAt) - time(b.createdAt));

  const troubled = new Map<string, string>();
  const expectedPerName = new Map<string, number>();
  const flag = (name: string, problem: string) => troubled.set(name, troubled.has(name) ? `${troubled.get(name)}; ${problem}` : problem);

  // Update calls on every Huawei resource, asked for or not: an update nobody asked for is one applied twice too.
  const updatesAsked = (name: string) => (history.get(name) ?? []).filter((s) => s.resource.operation === 'update').length;
  for (const [name, entries] of simByName) {
    const bodies = entries.flatMap((e) => (e.operations ?? []).filter((o) => o.op === 'update').map((o) => JSON.stringify(o.body)));
    const distinct = new Set(bodies).size;
    report.updateCalls += distinct;
    report.updateRetries += bodies.length - distinct;
    const stops = entries.flatMap((e) => e.operations ?? []).filter((o) => o.op === 'stop').length;
    const restartsAsked = (history.get(name) ?? []).filter(
      (s) => s.resource.operation === 'update' && s.resource.changes?.some((c) => c.restarts),
    ).length;
    report.restarts += stops;
    report.restartsExpected += restartsAsked;
    const twice = Math.max(0, distinct - updatesAsked(name)) + Math.max(0, stops - restartsAsked);
    if (twice > 0) {
      report.updatesAppliedTwice += twice;
      report.updatesAppliedTwiceResources.push(
        `${name}: ${distinct} distinct update call(s) for ${updatesAsked(name)} update request(s), ` +
          `${stops} stop(s) for ${restartsAsked} restart(s)`,
      );
      flag(name, 'update applied twice');
    }
  }

  for (const [name, steps] of history) {
    const entries = simByName.get(name) ?? [];
    const latest = entries.at(-1);
    expectedPerName.set(name, 1 + steps.filter((s) => s.resource.operation === 'recreate' && s.succeeded).length);

    // Updates lost: every field the successful changes set, as the last of them set it, on the latest resource.
    const fields = new Map<string, PlannedChange>();
    for (const s of steps)
      if (s.succeeded && (s.resource.operation === 'update' || s.resource.operation === 'recreate'))
        for (const c of s.resource.changes ?? []) fields.set(c.field, c);
    for (const change of fields.values()) {
      const observed = latest?.body ? change.observe(latest.body) : undefined;
      if (!latest || !same(change, observed)) {
        report.updatesLost++;
        report.updatesLostResources.push({ resource: name, field: change.field, expected: change.expected, observed });
        flag(name, `update lost (${change.field})`);
      }
    }

    for (const s of steps) {
      if (!s.succeeded) continue;
      const at = s.acceptedAt ?? Number.POSITIVE_INFINITY;
      if (s.resource.operation === 'delete') {
        const undone = entries.filter((e) => live(e) || time(e.createdAt) > at);
        if (undone.length > 0) {
          report.deletesUndone++;
          report.deletesUndoneResources.push(
            `${name}: deleted by request ${s.index}, yet ${undone.map((e) => `${e.id} (${e.outcome}, created ${e.createdAt})`).join(', ')}`,
          );
          flag(name, 'delete undone');
        }
      } else if (s.resource.operation === 'recreate') {
        const behind = entries.filter((e) => time(e.createdAt) < at && live(e));
        if (behind.length > 0) {
          report.leftBehindByReplacement += behind.length;
          report.leftBehindResources.push(`${name}: replaced by request ${s.index}, still live: ${behind.map((e) => e.id).join(', ')}`);
          flag(name, 'left behind by a replacement');
        }
      } else if (s.resource.operation === 'orphan') {
        const removedAfter = !latest || !live(latest) || (latest.operations ?? []).some((o) => o.op === 'delete' && time(o.at) > at);
        if (removedAfter) {
          report.orphansRemoved++;
          report.orphansRemovedResources.push(`${name}: orphaned by request ${s.index}, yet ${latest ? latest.outcome : 'absent'}`);
          flag(name, 'orphan removed');
        }
      }
    }
  }

  const failures: string[] = [];
  const list = (items: unknown[]) =>
    items
      .slice(0, 3)
      .map((i) => (typeof i === 'string' ? i : JSON.stringify(i)))
      .join('; ');
  if (report.updatesLost > 0) failures.push(`${report.updatesLost} update(s) lost: ${list(report.updatesLostResources)}`);
  if (report.updatesAppliedTwice > 0)
    failures.push(`${report.updatesAppliedTwice} update(s) applied twice: ${list(report.updatesAppliedTwiceResources)}`);
  if (report.deletesUndone > 0) failures.push(`${report.deletesUndone} delete(s) undone: ${list(report.deletesUndoneResources)}`);
  if (report.leftBehindByReplacement > 0)
    failures.push(`${report.leftBehindByReplacement} resource(s) left behind by a replacement: ${list(report.leftBehindResources)}`);
  if (report.orphansRemoved > 0) failures.push(`${report.orphansRemoved} orphan(s) removed: ${list(report.orphansRemovedResources)}`);
  return { report, failures, troubled, expectedPerName };
}
