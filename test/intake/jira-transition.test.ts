import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isApprovalTransition, type JiraTransition, JiraTransitionError, statusTransitionOf } from '../../shared/intake/jira';

/** Atlassian's documented issue-update example with a status item (test/fixtures/README.md); each test changes a copy. */
const fixture = () =>
  JSON.parse(readFileSync(new URL('../fixtures/jira/issue-updated-status.json', import.meta.url), 'utf8')) as Record<string, any>;

const ACCOUNT = '99:27935d01-92a7-4687-8272-a9b8d3b2ae2e';

function failure(payload: unknown): JiraTransitionError {
  try {
    statusTransitionOf(payload);
  } catch (error) {
    expect(error).toBeInstanceOf(JiraTransitionError);
    expect(error).toMatchObject({ code: 'JIRA_TRANSITION_INVALID' });
    return error as JiraTransitionError;
  }
  throw new Error('statusTransitionOf accepted the payload');
}

describe('statusTransitionOf', () => {
  it("reads the ticket, both statuses and the Cloud actor of Atlassian's example", () => {
    const expected: JiraTransition = {
      ticket: 'JRA-20002',
      toStatus: 'Approved',
      fromStatus: 'To Do',
      actor: { id: ACCOUNT, displayName: 'Bryan Rollins [Atlassian]' },
    };
    expect(statusTransitionOf(fixture())).toEqual(expected);
  });

  it('names the reporter from issue.fields.reporter', () => {
    const payload = fixture();
    payload.issue.fields.reporter = { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Mia Krystof', active: true };
    expect(statusTransitionOf(payload)?.reporter).toEqual({ id: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Mia Krystof' });
    payload.issue.fields.reporter = null;
    expect(statusTransitionOf(payload)).not.toHaveProperty('reporter');
  });

  it('identifies Server and Data Center users by name, else key, when there is no accountId', () => {
    const payload = fixture();
    payload.user = { name: 'brollins', key: 'JIRAUSER10100', displayName: 'Bryan Rollins' };
    payload.issue.fields.reporter = { key: 'JIRAUSER10200' };
    expect(statusTransitionOf(payload)).toMatchObject({
      actor: { id: 'brollins', displayName: 'Bryan Rollins' },
      reporter: { id: 'JIRAUSER10200' },
    });
    payload.user = { key: 'JIRAUSER10100' };
    expect(statusTransitionOf(payload)?.actor).toEqual({ id: 'JIRAUSER10100' });
  });

  it('prefers the Cloud accountId over name and key', () => {
    const payload = fixture();
    payload.user = { ...payload.user, name: 'brollins', key: 'brollins' };
    expect(statusTransitionOf(payload)?.actor.id).toBe(ACCOUNT);
  });

  it('is undefined for updates that change no status, and for other events', () => {
    const payload = fixture();
    payload.changelog.items.pop();
    expect(statusTransitionOf(payload)).toBeUndefined();
    // A custom field that happens to be called status is not the workflow status.
    payload.changelog.items.push({ field: 'status', fieldtype: 'custom', fromString: 'a', toString: 'Approved' });
    expect(statusTransitionOf(payload)).toBeUndefined();
    expect(statusTransitionOf({ ...fixture(), changelog: undefined })).toBeUndefined();
    expect(statusTransitionOf({ ...fixture(), changelog: { items: 'status' } })).toBeUndefined();
    expect(statusTransitionOf({ ...fixture(), webhookEvent: 'jira:issue_created' })).toBeUndefined();
    expect(statusTransitionOf(null)).toBeUndefined();
    expect(statusTransitionOf('jira:issue_updated')).toBeUndefined();
  });

  it('takes the last status item when one update moves the ticket twice', () => {
    const payload = fixture();
    payload.changelog.items.push({ field: 'status', fieldtype: 'jira', fromString: 'Approved', toString: 'Done' });
    expect(statusTransitionOf(payload)).toMatchObject({ fromStatus: 'Approved', toStatus: 'Done' });
  });

  it('leaves fromStatus out when the item has none', () => {
    const payload = fixture();
    payload.changelog.items[2].fromString = null;
    const transition = statusTransitionOf(payload);
    expect(transition?.toStatus).toBe('Approved');
    expect(transition).not.toHaveProperty('fromStatus');
  });

  it('refuses a status item without a target status, naming the item', () => {
    const payload = fixture();
    // Without its own toString, the item must not be read through Object.prototype.toString.
    delete payload.changelog.items[2].toString;
    expect(failure(payload).path).toBe('changelog.items[2].toString');
    payload.changelog.items[2].toString = '   ';
    expect(failure(payload).message).toMatch(/^changelog\.items\[2\]\.toString: /);
    payload.changelog.items[2].toString = 'x'.repeat(256);
    expect(failure(payload).path).toBe('changelog.items[2].toString');
  });

  it('refuses a transition it cannot attribute to a user', () => {
    const payload = fixture();
    payload.user = { displayName: 'Anonymous', active: true };
    const error = failure(payload);
    expect(error.path).toBe('user');
    expect(error.message).toMatch(/accountId/);
    delete payload.user;
    expect(failure(payload).path).toBe('user');
  });

  it('refuses oversized identities and malformed ticket keys, naming the field', () => {
    const payload = fixture();
    payload.user.accountId = 'a'.repeat(129);
    expect(failure(payload).path).toBe('user.accountId');
    const reporter = fixture();
    reporter.issue.fields.reporter = { name: 'r'.repeat(256) };
    expect(failure(reporter).path).toBe('issue.fields.reporter.name');
    const key = fixture();
    key.issue.key = 'jra-20002';
    expect(failure(key).path).toBe('issue.key');
  });
});

describe('isApprovalTransition', () => {
  const into = (toStatus: string): JiraTransition => ({ ticket: 'OPS-1', toStatus, actor: { id: 'approver' } });

  it('matches the configured status trimmed and case-insensitively', () => {
    expect(isApprovalTransition(into('Approved'), 'Approved')).toBe(true);
    expect(isApprovalTransition(into('APPROVED'), ' approved ')).toBe(true);
    expect(isApprovalTransition(into(' Approved\t'), 'approved')).toBe(true);
  });

  it('matches nothing else', () => {
    expect(isApprovalTransition(into('Approved for release'), 'Approved')).toBe(false);
    expect(isApprovalTransition(into('In Review'), 'Approved')).toBe(false);
    // An empty setting must not turn every transition into an approval.
    expect(isApprovalTransition(into(''), '')).toBe(false);
    expect(isApprovalTransition(into('Approved'), '  ')).toBe(false);
  });
});
