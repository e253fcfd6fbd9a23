/** Everything the simulator remembers: created resources, run-time configuration, faults and counters. */
import type { Kind } from '../../shared/kinds/registry';
import { type CatalogSettings, CatalogView } from './catalog';
import { DELETE_DURATION_SHARE, type Durations } from './defaults';
import { FaultInjector, TokenBucket, noFaults, zeroCounts } from './faults';

/** Where the `sim-fail` marker was found in the create body; it decides the failure's wording. */
export interface SimFailure {
  path: string;
  value: string;
}

interface SimPod {
  id: string;
  name: string;
  containerIds: string[];
}

/** One change made to a resource after its create, in the order received (the create itself is not listed). */
export interface SimOperation {
  op: 'update' | 'stop' | 'start' | 'delete';
  at: number;
  requestId: string;
  /** The request body as received (update), so a test can see what was sent. */
  body?: Record<string, unknown>;
}

/** A notebook's last stop or start: STOPPING/STARTING until `at + durationMs`, then STOPPED/RUNNING. */
export interface SimPower {
  action: 'stop' | 'start';
  at: number;
  durationMs: number;
}

/** A node count change in progress: nodes move from `previous` to the current spec over `durationMs`. */
export interface SimScaling {
  at: number;
  durationMs: number;
  previous: { flavor: string; count: number; nodePool?: string }[];
}

export interface SimResource {
  kind: Kind;
  /** Notebook and deployment UUID, pool `metadata.name`, node pool `<pool>/<name>`. */
  id: string;
  /** The user's name: notebook/deployment `name`, pool label `os.modelarts/name`, node pool `metadata.name`. */
  name: string;
  projectId: string;
  /** Pool id of a node pool. */
  parentId?: string;
  createdAt: number;
  /**
   * Snapshot of the kind's duration at create time, so a later /__sim/config change never moves
   * an existing resource backwards through its states.
   */
  durationMs: number;
  failure?: SimFailure;
  deletedAt?: number;
  deleteDurationMs?: number;
  /** X-Request-Id of the create call, to tie a resource to the client log line that made it. */
  requestId: string;
  /** The create body exactly as parsed. */
  body: Record<string, unknown>;
  /** Values generated once so repeated GETs agree: notebook token, pool order name, pods. */
  token?: string;
  orderName?: string;
  pods?: SimPod[];
  /** Where progress is measured from once an update restarted it (a deployment's new pods); else createdAt. */
  restartedAt?: number;
  power?: SimPower;
  scaling?: SimScaling;
  /** A notebook's EVS volume reports RESIZING until then. */
  resizeUntil?: number;
  operations?: SimOperation[];
}

export interface SimulatorConfig {
  durations: Durations;
  rateLimitPerSecond: number | undefined;
}

export interface InitialSettings {
  ak: string;
  sk: string;
  projectId: string;
  durations: Durations;
  rateLimitPerSecond: number | undefined;
  seed: number;
  now: () => number;
  /** What the cloud offers at start, and after every reset. */
  catalog: CatalogSettings;
  /** Called after every change to the resources (create, delete, reset), e.g. to save them. */
  onChange?: () => void;
}

/** What outlives the process: the resources. Faults, counters and run-time config start afresh. */
export interface SimulatorSnapshot {
  version: 1;
  resources: SimResource[];
}

export class SimulatorState {
  readonly ak: string;
  readonly sk: string;
  readonly projectId: string;
  readonly seed: number;
  readonly now: () => number;
  config: SimulatorConfig;
  /** Replaced whole by PUT /__sim/catalog; never saved with the resources. */
  catalog: CatalogSettings;
  readonly faults: FaultInjector;
  private bucket: TokenBucket | undefined;
  private readonly byKey = new Map<string, SimResource>();
  /** Deleted resources whose id a later create took again (a node pool's id is its name): kept for the ledger. */
  private readonly retired: SimResource[] = [];
  private readonly initial: InitialSettings;
  private readonly delays = new Set<() => void>();

  constructor(initial: InitialSettings) {
    this.initial = initial;
    this.ak = initial.ak;
    this.sk = initial.sk;
    this.projectId = initial.projectId;
    this.seed = initial.seed;
    this.now = initial.now;
    this.config = { durations: { ...initial.durations }, rateLimitPerSecond: initial.rateLimitPerSecond };
    this.catalog = structuredClone(initial.catalog);
    this.faults = new FaultInjector(noFaults(initial.seed));
    this.bucket = this.makeBucket();
  }

  /** The catalog as the read routes answer it now: with the flavors and the pools of what the simulator holds. */
  catalogView(): CatalogView {
    const live = [...this.byKey.values()].filter((r) => !this.isGone(r));
    return new CatalogView(this.catalog, {
      flavors: new Set(live.flatMap(flavorsOf)),
      livePools: live.filter((r) => r.kind === 'ResourcePool').length,
    });
  }

  lookupSk = (ak: string): string | undefined => (ak === this.ak ? this.sk : undefined);

  setConfig(config: SimulatorConfig): void {
    const rateChanged = config.rateLimitPerSecond !== this.config.rateLimitPerSecond;
    this.config = { durations: { ...config.durations }, rateLimitPerSecond: config.rateLimitPerSecond };
    if (rateChanged) this.bucket = this.makeBucket();
  }

  /** False when the request is over the configured per-second limit (and counts it). */
  admit(): boolean {
    if (!this.bucket || this.bucket.take(this.now())) return true;
    this.faults.counts.rateLimited++;
    return false;
  }

  add(resource: SimResource): SimResource {
    this.put(resource);
    this.initial.onChange?.();
    return resource;
  }

  /** A resource the API can still see: created and not yet past the end of its deletion. */
  find(kind: Kind, id: string): SimResource | undefined {
    const r = this.byKey.get(key(kind, id));
    return r && !this.isGone(r) ? r : undefined;
  }

  visible(kind: Kind, filter: (r: SimResource) => boolean = () => true): SimResource[] {
    return [...this.byKey.values()].filter((r) => r.kind === kind && !this.isGone(r) && filter(r));
  }

  private put(resource: SimResource): void {
    const k = key(resource.kind, resource.id);
    const earlier = this.byKey.get(k);
    if (earlier && earlier !== resource) this.retired.push(earlier);
    this.byKey.set(k, resource);
  }

  /** Every resource ever created since the last reset, deleted ones included. */
  all(): SimResource[] {
    return [...this.retired, ...this.byKey.values()];
  }

  markDeleted(resource: SimResource, requestId?: string): void {
    if (resource.deletedAt !== undefined) return;
    resource.deletedAt = this.now();
    resource.deleteDurationMs = Math.round(this.config.durations[resource.kind] * DELETE_DURATION_SHARE);
    if (requestId !== undefined) (resource.operations ??= []).push({ op: 'delete', at: resource.deletedAt, requestId });
    this.initial.onChange?.();
  }

  /** Logs a change the route has already applied to `resource`, and saves. */
  recordOperation(resource: SimResource, operation: Omit<SimOperation, 'at'>): void {
    (resource.operations ??= []).push({ ...operation, at: this.now() });
    this.initial.onChange?.();
  }

  isGone(r: SimResource): boolean {
    return r.deletedAt !== undefined && this.now() >= r.deletedAt + (r.deleteDurationMs ?? 0);
  }

  /** Back to the state right after start: no resources, no faults, zero counters, start-up config and catalog. */
  reset(): void {
    this.byKey.clear();
    this.retired.length = 0;
    this.config = { durations: { ...this.initial.durations }, rateLimitPerSecond: this.initial.rateLimitPerSecond };
    this.catalog = structuredClone(this.initial.catalog);
    this.faults.configure(noFaults(this.seed));
    Object.assign(this.faults.counts, zeroCounts());
    this.bucket = this.makeBucket();
    this.initial.onChange?.();
  }

  snapshot(): SimulatorSnapshot {
    return { version: 1, resources: structuredClone(this.all()) };
  }

  /** Puts back the resources of a snapshot; their clocks keep running from their createdAt. */
  restore(snapshot: SimulatorSnapshot): void {
    this.byKey.clear();
    this.retired.length = 0;
    // Oldest first (as all() lists them), so a retired resource is followed by the one that took its id.
    for (const resource of structuredClone(snapshot.resources)) this.put(resource);
  }

  /** A slow-fault pause that close() can cut short, so stopping the server never waits out slowMs. */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.delays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.delays.add(done);
    });
  }

  releaseDelays(): void {
    for (const done of [...this.delays]) done();
  }

  private makeBucket(): TokenBucket | undefined {
    const r = this.config.rateLimitPerSecond;
    return r !== undefined && r > 0 ? new TokenBucket(r, this.now()) : undefined;
  }
}

/** The flavors a resource's create body names: a notebook's, each pool entry's, a node pool's. */
function flavorsOf(r: SimResource): string[] {
  const named = (value: unknown) => (value && typeof value === 'object' ? (value as Record<string, unknown>).flavor : undefined);
  const resources = (r.body.spec as Record<string, unknown> | undefined)?.resources;
  const candidates = [r.body.flavor, ...(Array.isArray(resources) ? resources.map(named) : [named(resources)])];
  return candidates.filter((f): f is string => typeof f === 'string' && f !== '');
}

function key(kind: Kind, id: string): string {
  return `${kind}\u0000${id}`;
}
