/** How often a resource being created is looked at: each kind's cadence, stretched as it ages. */
import { adapterOf } from '../kinds/registry';

/** Fast while young, slower later: the interval doubles every three polls up to the kind's cap. */
export function nextPollSeconds(kind: string, polls: number, scale: number): number {
  const { pollFirstSeconds, pollMaxSeconds } = adapterOf(kind).timing;
  return Math.min(pollMaxSeconds, pollFirstSeconds * 2 ** Math.floor(polls / 3)) * scale;
}
