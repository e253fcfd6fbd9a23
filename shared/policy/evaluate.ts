/**
 * The verdict of a policy on one resource: the first rule (in document order) whose `match` takes the source and
 * whose `grant` covers the resource's project, region and kind decides; its limits must all hold, and its
 * approval may be required. No such rule: refused. Never throws: a failure of any kind refuses the resource,
 * naming the rule and the cause.
 */
import { clipText, MAX_ECHOED_MESSAGE_CHARS } from '../manifests/limits';
import type { RequestSource } from '../store/types';
import { celValue, EVALUATION_BUDGET_MS, withinBudget, type Expression } from './cel';
import type { Policy, PolicyMatch, PolicyProvider, PolicyRule } from './document';

/** Who asks: the request's source, as rules match it. */
export interface PolicySubject {
  provider: PolicyProvider;
  /** GitHub `owner/repo` or GitLab project path. */
  repository?: string;
  branch?: string;
  /** Jira ticket key (`OPS-12`); its project (`OPS`) is what `match.jiraProject` compares. */
  ticket?: string;
  /** API caller name, or the queue's source system. */
  caller?: string;
  /** The owner namespace of the request (shared/reconcile/owner.ts ownerOf). */
  owner: string;
  /** The person behind the request, when the source says (an API caller is its own user). */
  user?: string;
}

/** What is asked for: one resource, placed (project and region resolved with the service's defaults). */
export interface PolicyResource {
  kind: string;
  name: string;
  projectId: string;
  region: string;
  /** The manifest as submitted (CEL `object`). */
  manifest: Record<string, unknown>;
  /** For a change, the managed resource's current manifest (CEL `oldObject`; null for a create). */
  oldManifest?: Record<string, unknown>;
}

export type PolicyVerdict =
  | { allowed: true; rule: string; approval?: { rule: string; approvers: string[]; reason: string } }
  | { allowed: false; rule?: string; message: string };

/** The policy subject of a recorded request's source; `owner` as ownerOf computed it for that request. */
export function subjectOf(source: RequestSource & { user?: string }, owner: string): PolicySubject {
  const subject: PolicySubject = { provider: source.provider, owner };
  switch (source.provider) {
    case 'github':
    case 'gitlab': {
      const repository = source.repository ?? source.ref.split('@')[0];
      if (repository) subject.repository = repository;
      if (source.branch) subject.branch = source.branch;
      break;
    }
    case 'jira': {
      const ticket = source.ticket ?? source.ref;
      if (ticket) subject.ticket = ticket;
      break;
    }
    case 'api': {
      const caller = source.caller ?? source.ref.replace(/^api:/, '');
      if (caller) subject.caller = caller;
      break;
    }
    case 'queue': {
      // Queue refs are `queue:<system>` or `queue:<system>:<reference>`: the system is the caller.
      const caller = source.caller ?? source.ref.replace(/^queue:/, '').split(':')[0];
      if (caller) subject.caller = caller;
      break;
    }
  }
  const user = source.user ?? (source.provider === 'api' ? subject.caller : undefined);
  if (user) subject.user = user;
  return subject;
}

/** A Jira project key never holds "-": the key of ticket OPS-12 is what precedes the first one. */
function jiraProjectOf(subject: PolicySubject): string | undefined {
  return subject.provider === 'jira' && subject.ticket ? subject.ticket.split('-')[0] : undefined;
}

function matches(match: PolicyMatch, subject: PolicySubject): boolean {
  if (match.providers && !match.providers.has(subject.provider)) return false;
  const holds = (test: ((value: string) => boolean) | undefined, value: string | undefined) =>
    test === undefined || (value !== undefined && value !== '' && test(value));
  return (
    holds(match.repository, subject.repository) &&
    holds(match.branch, subject.branch) &&
    holds(match.jiraProject, jiraProjectOf(subject)) &&
    holds(match.caller, subject.caller) &&
    holds(match.owner, subject.owner)
  );
}

function grants(rule: PolicyRule, resource: PolicyResource): boolean {
  const { projects, regions, kinds } = rule.grant;
  return (
    (projects === 'any' || projects.has(resource.projectId)) &&
    (regions === 'any' || regions.has(resource.region)) &&
    (kinds === 'any' || (kinds as ReadonlySet<string>).has(resource.kind))
  );
}

/** Whether any rule speaks for this source at all, whatever it grants: a caller outside every rule can be refused up front. */
export function sourceHasAnyRule(policy: Policy, subject: PolicySubject): boolean {
  return policy.rules.some((rule) => matches(rule.match, subject));
}

export function evaluatePolicy(policy: Policy, subject: PolicySubject, resource: PolicyResource): PolicyVerdict {
  try {
    return decide(policy, subject, resource);
  } catch (error) {
    return { allowed: false, message: refusal(policy, `the policy could not be evaluated: ${describeError(error)}`) };
  }
}

function decide(policy: Policy, subject: PolicySubject, resource: PolicyResource): PolicyVerdict {
  const rule = policy.rules.find((r) => matches(r.match, subject) && grants(r, resource));
  if (!rule) {
    const what = `${resource.kind} in project ${resource.projectId} (region ${resource.region})`;
    return { allowed: false, message: refusal(policy, `no policy rule lets ${describeSubject(subject)} provision ${what}`) };
  }
  const approval = rule.approval;
  const staticTrigger = approval ? staticApprovalReason(approval, resource) : undefined;
  const when = approval && staticTrigger === undefined ? approval.when : undefined;

  let whenHolds = false;
  if (rule.limits.length > 0 || when) {
    const outcome = evaluateConditions(rule, when, subject, resource);
    if (outcome.refused !== undefined) return { allowed: false, rule: rule.name, message: refusal(policy, outcome.refused) };
    whenHolds = outcome.whenHolds;
  }
  if (!approval) return { allowed: true, rule: rule.name };
  const always = approval.kinds.size === 0 && approval.projects.size === 0 && !approval.when;
  const trigger =
    staticTrigger ??
    (whenHolds ? `approval.when holds (${clipText(approval.when!.source, 200)})` : undefined) ??
    (always ? `rule ${rule.name} requires approval for all it grants` : undefined);
  if (trigger === undefined) return { allowed: true, rule: rule.name };
  return {
    allowed: true,
    rule: rule.name,
    approval: { rule: rule.name, approvers: [...approval.approvers], reason: approval.message ?? trigger },
  };
}

function staticApprovalReason(approval: NonNullable<PolicyRule['approval']>, resource: PolicyResource): string | undefined {
  if (approval.kinds.has(resource.kind)) return `${resource.kind} needs approval`;
  if (approval.projects.has(resource.projectId)) return `project ${resource.projectId} needs approval`;
  return undefined;
}

/**
 * Runs the rule's limits, then `when`, in one time budget. `refused` says why the resource is refused when a
 * limit fails, or an expression errs, returns something other than a boolean, or runs out of time.
 */
function evaluateConditions(
  rule: PolicyRule,
  when: Expression | undefined,
  subject: PolicySubject,
  resource: PolicyResource,
): { refused?: string; whenHolds: boolean } {
  const what = `${resource.kind} ${resource.name}`;
  let current = 'the variables';
  const cannot = (why: string) => ({ refused: `rule ${rule.name} could not evaluate ${current} for ${what}: ${why}`, whenHolds: false });
  const result = withinBudget(() => {
    let variables: Parameters<Expression['evaluate']>[0];
    try {
      variables = {
        object: celValue(resource.manifest),
        oldObject: resource.oldManifest ? celValue(resource.oldManifest) : null,
        source: celValue(sourceVariable(subject)),
      };
    } catch (error) {
      return cannot(describeError(error));
    }
    for (const limit of rule.limits) {
      current = `limit ${limit.name}`;
      const value = run(limit.expression, variables);
      if (typeof value === 'string') return cannot(value);
      if (!value.holds) return { refused: `rule ${rule.name} refuses ${what}: ${limit.message} (limit ${limit.name})`, whenHolds: false };
    }
    if (!when) return { whenHolds: false };
    current = 'approval.when';
    const value = run(when, variables);
    return typeof value === 'string' ? cannot(value) : { whenHolds: value.holds };
  });
  return result.done ? result.value : cannot(`it ran past the ${EVALUATION_BUDGET_MS} ms evaluation budget`);
}

/** The expression's boolean, or why there is none. */
function run(expression: Expression, variables: Parameters<Expression['evaluate']>[0]): { holds: boolean } | string {
  let value: unknown;
  try {
    value = expression.evaluate(variables);
  } catch (error) {
    return describeError(error);
  }
  if (typeof value !== 'boolean') return `it evaluated to ${celType(value)}, not a boolean`;
  return { holds: value };
}

function celType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'an int';
  if (typeof value === 'number') return 'a double';
  if (typeof value === 'string') return 'a string';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

/** The library's one-line summary where it has one: its message adds a drawing of the expression over several lines. */
function describeError(error: unknown): string {
  const summary = (error as { summary?: unknown } | null)?.summary;
  const text = typeof summary === 'string' ? summary : error instanceof Error ? error.message : String(error);
  return clipText(text.split('\n')[0]!, 300);
}

/** CEL `source`: what rules match on, absent fields left out so `has(source.branch)` tells. */
function sourceVariable(subject: PolicySubject): Record<string, string> {
  const jiraProject = jiraProjectOf(subject);
  const { provider, repository, branch, ticket, caller, owner, user } = subject;
  return Object.fromEntries(
    Object.entries({ provider, repository, branch, ticket, jiraProject, caller, owner, user }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
}

function describeSubject(subject: PolicySubject): string {
  switch (subject.provider) {
    case 'github':
    case 'gitlab':
      return `${subject.provider} ${subject.repository ?? '(no repository)'}${subject.branch ? `@${subject.branch}` : ''}`;
    case 'jira':
      return `jira ${subject.ticket ?? '(no ticket)'}`;
    case 'api':
    case 'queue':
      return `${subject.provider} ${subject.caller ?? '(no caller)'}`;
  }
}

function refusal(policy: Policy, message: string): string {
  return clipText(policy.denyMessage ? `${message}; ${policy.denyMessage}` : message, MAX_ECHOED_MESSAGE_CHARS);
}
