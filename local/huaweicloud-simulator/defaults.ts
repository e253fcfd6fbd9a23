/** Development credentials and timing presets for the local Huawei Cloud simulator. */
import type { Kind } from '../../shared/kinds/registry';

/**
 * Throwaway credentials: the simulator only listens on loopback, and these exist so that a fresh
 * checkout can sign requests without any secret configured.
 */
export const SIMULATOR_DEFAULTS = {
  ak: 'SIMULATORLOCALAK0001',
  sk: 'simulator-local-secret-key-not-for-production',
  projectId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
} as const;

export type Durations = Record<Kind, number>;

/**
 * Milliseconds from create to the terminal state. `fast` keeps a whole test file under a few
 * seconds; `realistic` follows the typical times observed against the real services.
 */
export const DURATION_PRESETS: Record<'fast' | 'realistic', Durations> = {
  fast: { Notebook: 600, ResourcePool: 900, NodePool: 700, EdgeDeployment: 500 },
  realistic: { Notebook: 90_000, ResourcePool: 15 * 60_000, NodePool: 8 * 60_000, EdgeDeployment: 30_000 },
};

export type DurationsOption = 'fast' | 'realistic' | Partial<Durations>;

/** A delete takes this share of the kind's create duration before GET answers 404. */
export const DELETE_DURATION_SHARE = 1 / 3;

/** A notebook stop, start or volume resize takes this share of the notebook duration; a node count change takes a whole one. */
export const TRANSITION_DURATION_SHARE = 1 / 3;

/** Long enough to outlast any sane client timeout, which is what a slow-fault test wants to provoke. */
export const DEFAULT_SLOW_MS = 30_000;

export const DEFAULT_SEED = 1;

/** Region-like values that appear inside generated bodies (image paths, AZs, console URLs). */
export const SIMULATED_REGION = 'cn-north-4';
export const SIMULATED_DOMAIN_ID = 'sim0domain0id000000000000000000aa';

/** Any string in a create body containing this marker makes the resource fail after some progress. */
export const FAIL_MARKER = 'sim-fail';

export function resolveDurations(option: DurationsOption | undefined, base: Durations = DURATION_PRESETS.fast): Durations {
  if (option === undefined) return { ...base };
  if (option === 'fast' || option === 'realistic') return { ...DURATION_PRESETS[option] };
  return { ...base, ...option };
}
