/** Per-kind timing: how long creation may take, how long dispatch may keep retrying, and how often to poll. */
import type { Kind } from '../manifests/kinds';

export interface KindPolicy {
  /** From the accepted create to a terminal status; spec.timeoutMinutes overrides it. */
  timeoutMinutes: number;
  /** From the first create intent; past it, retries stop and the resource fails. */
  dispatchDeadlineMinutes: number;
  /** First poll delay and the cap the interval grows to, in seconds (before POLL_BACKOFF_SCALE). */
  pollFirstSeconds: number;
  pollMaxSeconds: number;
}

/** Creation times from Huawei's documentation and Terraform's timeouts: notebooks in minutes, pools in a quarter hour or more. */
export const KIND_POLICY: Record<Kind, KindPolicy> = {
  Notebook: { timeoutMinutes: 20, dispatchDeadlineMinutes: 10, pollFirstSeconds: 10, pollMaxSeconds: 30 },
  EdgeDeployment: { timeoutMinutes: 15, dispatchDeadlineMinutes: 10, pollFirstSeconds: 5, pollMaxSeconds: 30 },
  NodePool: { timeoutMinutes: 60, dispatchDeadlineMinutes: 15, pollFirstSeconds: 30, pollMaxSeconds: 120 },
  ResourcePool: { timeoutMinutes: 90, dispatchDeadlineMinutes: 15, pollFirstSeconds: 30, pollMaxSeconds: 180 },
};

/** Fast while young, slower later: the interval doubles every three polls up to the kind's cap. */
export function nextPollSeconds(kind: Kind, polls: number, scale: number): number {
  const { pollFirstSeconds, pollMaxSeconds } = KIND_POLICY[kind];
  return Math.min(pollMaxSeconds, pollFirstSeconds * 2 ** Math.floor(polls / 3)) * scale;
}
