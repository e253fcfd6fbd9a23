/**
 * The parts of the request page the end-to-end test cannot easily reach (an approval's history, rejected
 * documents, drift, a failure carrying Huawei's error code), rendered from records shaped as the store keeps them.
 */
import { describe, expect, it } from 'vitest';
import type { ManagedResource, RequestRecord, ResourceRecord } from '../../shared/store/types';
import { RequestPage, type RequestPageData } from '../../shared/ui/request-page';

const T0 = '2026-12-04T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

const request: RequestRecord = {
  requestId: 'req_0000000000000000000000000a',
  source: { provider: 'jira', ref: 'OPS-7', ticket: 'OPS-7', url: 'https://jira.example/browse/OPS-7', user: 'jira:5b10a' },
  phase: 'Accepted',
  resourceCount: 2,
  createdAt: T0,
  updatedAt: at(1),
  approval: {
    state: 'Approved',
    rules: ['gpu-needs-approval'],
    reasons: ['Notebook nb-gpu asks for a GPU flavor'],
    approvers: ['jira:lead'],
    requestedBy: 'jira:5b10a',
    requestedAt: T0,
    expiresAt: at(86_400),
    history: [
      { action: 'requested', by: 'jira:5b10a', at: T0 },
      { action: 'approved', by: 'jira:lead', at: at(60), channel: 'jira', comment: 'ok <for now>' },
    ],
  },
  rejected: [
    {
      file: 'ops.yaml',
      index: 2,
      kind: 'Notebook',
      name: 'nb-bad',
      errors: [{ path: 'spec.body.flavor', message: 'required', line: 3, column: 1 }],
    },
  ],
};

const resource = (name: string, extra: Partial<ResourceRecord>): ResourceRecord => ({
  requestId: request.requestId,
  kind: 'Notebook',
  name,
  projectId: 'p',
  region: 'cn-north-4',
  state: 'Succeeded',
  manifest: { spec: { body: { password: 'hunter2' } } },
  file: 'ops.yaml',
  createdAt: T0,
  updatedAt: at(100),
  ...extra,
});

const failed = resource('nb-gpu', {
  state: 'Failed',
  reason: 'ModelArts.6404',
  message: 'create Notebook: permanent | HTTP 400 | ModelArts.6404 | flavor sold out | request 7c1e7b34-2b8f-4a51-9d0e',
  dispatchStartedAt: at(2),
  createStartedAt: at(3),
  finishedAt: at(95),
});
const drifted = resource('nb-cpu', {
  huaweiId: 'cab7d2d6',
  dispatchStartedAt: at(2),
  createStartedAt: at(4),
  finishedAt: at(64),
  operation: 'update',
  changes: [{ path: 'spec.body.description', desired: 'new', observed: 'old' }],
});
const managed: ManagedResource = {
  projectId: 'p',
  kind: 'Notebook',
  name: 'nb-cpu',
  region: 'cn-north-4',
  owner: 'jira:OPS',
  source: { provider: 'jira', ref: 'OPS-7' },
  desired: {},
  specHash: 'h',
  generation: 2,
  requestId: request.requestId,
  state: 'Succeeded',
  huaweiId: 'cab7d2d6',
  drift: [{ path: 'spec.body.flavor', desired: 'modelarts.vm.cpu.2u', observed: 'modelarts.vm.cpu.8u' }],
  conditions: {
    Ready: { status: 'True', reason: 'Available', lastTransitionTime: T0 },
    Synced: { status: 'False', reason: 'Drifted', lastTransitionTime: T0 },
    Healthy: { status: 'True', reason: 'RUNNING', lastTransitionTime: T0 },
  },
  requestIds: [request.requestId],
  createdAt: T0,
  updatedAt: T0,
};

function render(overrides: Partial<RequestPageData> = {}): string {
  const data: RequestPageData = {
    request,
    state: 'PartiallyFailed',
    resources: [drifted, failed],
    managed: new Map([['p/Notebook/nb-cpu', managed]]),
    now: new Date(at(200)),
    consoleUrl: ({ huaweiId }) => `https://console.example/${huaweiId}`,
    ...overrides,
  };
  return RequestPage({ data }).toString();
}

describe('request page parts', () => {
  it("shows a failure's Huawei error code and request id in the timeline, with each step's duration", () => {
    const html = render();
    expect(html).toContain('code <code>ModelArts.6404</code>');
    expect(html).toContain('request <code>7c1e7b34-2b8f-4a51-9d0e</code>');
    // accepted → dispatched +2 s → create started +1 s → finished +1 min 32 s; 1 min 35 s in all.
    expect(html).toContain('(+2 s)');
    expect(html).toContain('(+1 min 32 s)');
    expect(html).toContain('<td>1 min 35 s</td>');
  });

  it('shows the approval, its reasons and its history', () => {
    const html = render();
    expect(html).toContain('<h2 id="approval-heading">Approval</h2>');
    expect(html).toContain('<li>Notebook nb-gpu asks for a GPU flavor</li>');
    expect(html).toMatch(/<th scope="row">approved<\/th><td>jira:lead<\/td><td>jira<\/td><td class="msg">ok &lt;for now&gt;<\/td>/);
  });

  it('lists rejected documents with their errors', () => {
    const html = render();
    expect(html).toContain('Rejected documents: nothing was queued');
    expect(html).toContain('<code>spec.body.flavor</code> required');
  });

  it('shows drift and the changes of an update, never the manifest body', () => {
    const html = render();
    expect(html).toMatch(
      /<td>drift<\/td><td><code>spec.body.flavor<\/code><\/td><td class="msg"><code>&quot;modelarts.vm.cpu.2u&quot;<\/code>/,
    );
    expect(html).toMatch(/<td>change<\/td><td><code>spec.body.description<\/code><\/td>/);
    expect(html).toMatch(/Synced: <span class="state bad">/);
    expect(html).not.toContain('hunter2');
    expect(html).toContain('<a href="https://console.example/cab7d2d6"');
  });

  // How fast the page is, is measured by `npm run bench -- --only=ui` (p99 < 100 ms), not asserted here.
  it('renders every resource of a 200-resource request, once each', () => {
    const many = Array.from({ length: 200 }, (_, i) => resource(`nb-${i}`, { huaweiId: `id-${i}`, finishedAt: at(60) }));
    const html = render({ resources: many });
    for (const i of [0, 99, 199]) expect(html.match(new RegExp(`<a href="https://console\\.example/id-${i}"`, 'g'))).toHaveLength(1);
  });
});
