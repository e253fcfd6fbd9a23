/** The request page: where a request came from, where it stands, and one row per resource with its story. */
import type { ManagedConditions } from '../store/managed';
import type { ResourceView } from '../store/requests';
import type { ApprovalRecord, RejectedDocument, RequestRecord, RequestState } from '../store/types';
import { askedBy, duration, huaweiErrorOf, safeHref, sourceLinkLabel, specValue } from './format';
import { type ConsoleUrl, HuaweiId, Scroll, StateLabel, Time } from './layout';

export interface RequestPageData {
  request: RequestRecord;
  state: RequestState;
  resources: ResourceView[];
  /** Each resource's managed record, keyed `projectId/kind/name`, for conditions and drift. */
  managed: Map<string, ManagedConditions>;
  now: Date;
  consoleUrl: ConsoleUrl;
}

const managedOf = (data: RequestPageData, r: ResourceView) => data.managed.get(`${r.projectId}/${r.kind}/${r.name}`);

function Source(props: { request: RequestRecord }) {
  const { source } = props.request;
  const href = safeHref(source.url);
  const label = sourceLinkLabel(source);
  const by = askedBy(source);
  return (
    <>
      <dt>Source</dt>
      <dd>
        {source.provider} · <code>{source.ref}</code>
        {href && label ? (
          <>
            {' · '}
            <a href={href} rel="noreferrer noopener">
              {label}
            </a>
          </>
        ) : null}
      </dd>
      {source.branch ? (
        <>
          <dt>Branch</dt>
          <dd>
            <code>{source.branch}</code>
          </dd>
        </>
      ) : null}
      {by ? (
        <>
          <dt>Who</dt>
          <dd>{by}</dd>
        </>
      ) : null}
    </>
  );
}

function Conditions(props: { managed: ManagedConditions | undefined }) {
  const conditions = props.managed?.conditions;
  if (!conditions) return <span class="muted">—</span>;
  return (
    <ul class="plain">
      {(['Ready', 'Synced', 'Healthy'] as const).map((type) => (
        <li>
          {type}: <StateLabel state={conditions[type].status} /> <span class="muted">{conditions[type].reason}</span>
        </li>
      ))}
    </ul>
  );
}

function ResourceRows(props: { data: RequestPageData }) {
  const { data } = props;
  return (
    <Scroll labelledBy="resources-caption">
      <table>
        <caption id="resources-caption">Resources ({data.resources.length})</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Operation</th>
            <th scope="col">Huawei id</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
            <th scope="col">Conditions</th>
            <th scope="col">Region</th>
          </tr>
        </thead>
        <tbody>
          {data.resources.map((r) => (
            <tr data-kind={r.kind} data-name={r.name}>
              <td>{r.kind}</td>
              <th scope="row">{r.name}</th>
              <td data-state={r.state}>
                <StateLabel state={r.state} />
              </td>
              <td>{r.operation ?? <span class="muted">—</span>}</td>
              <td>
                <HuaweiId resource={r} consoleUrl={data.consoleUrl} />
              </td>
              <td>{r.reason ? <code>{r.reason}</code> : <span class="muted">—</span>}</td>
              <td class="msg">{r.message ?? ''}</td>
              <td>
                <Conditions managed={managedOf(data, r)} />
              </td>
              <td class="nowrap">{r.region}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

/** One step of a resource's timeline: when, and how long since the step before. */
function Step(props: { at: string | undefined; since: string | undefined }) {
  if (!props.at) return <td class="muted">—</td>;
  const took = duration(props.since, props.at);
  return (
    <td>
      <Time at={props.at} />
      {took ? <span class="muted"> (+{took})</span> : null}
    </td>
  );
}

function Timeline(props: { data: RequestPageData }) {
  const { data } = props;
  const nowIso = data.now.toISOString();
  return (
    <Scroll labelledBy="timeline-caption">
      <table>
        <caption id="timeline-caption">Timeline: accepted → dispatched → create started → finished</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Accepted</th>
            <th scope="col">Dispatched</th>
            <th scope="col">Create started</th>
            <th scope="col">Finished</th>
            <th scope="col">Total</th>
            <th scope="col">Huawei error</th>
          </tr>
        </thead>
        <tbody>
          {data.resources.map((r) => {
            const error = r.finishedAt ? huaweiErrorOf(r.reason, r.message) : {};
            const total = duration(r.createdAt, r.finishedAt ?? nowIso);
            return (
              <tr>
                <td>{r.kind}</td>
                <th scope="row">{r.name}</th>
                <Step at={r.createdAt} since={undefined} />
                <Step at={r.dispatchStartedAt} since={r.createdAt} />
                <Step at={r.createStartedAt} since={r.dispatchStartedAt ?? r.createdAt} />
                <td>
                  {r.finishedAt ? (
                    <>
                      <StateLabel state={r.state} /> <Time at={r.finishedAt} />
                      {duration(r.createStartedAt ?? r.dispatchStartedAt ?? r.createdAt, r.finishedAt) ? (
                        <span class="muted"> (+{duration(r.createStartedAt ?? r.dispatchStartedAt ?? r.createdAt, r.finishedAt)})</span>
                      ) : null}
                    </>
                  ) : (
                    <span class="muted">not yet</span>
                  )}
                </td>
                <td>{total ? (r.finishedAt ? total : `${total} so far`) : ''}</td>
                <td>
                  {error.code ? (
                    <>
                      code <code>{error.code}</code>
                    </>
                  ) : null}
                  {error.code && error.requestId ? <br /> : null}
                  {error.requestId ? (
                    <>
                      request <code>{error.requestId}</code>
                    </>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Scroll>
  );
}

/** Each field where Huawei holds something else than the manifest asks for (or, for an update, what changes). */
function Diffs(props: { data: RequestPageData }) {
  const rows = props.data.resources.flatMap((r) => {
    const drift = managedOf(props.data, r)?.drift ?? [];
    return [
      ...drift.map((d) => ({ r, what: 'drift', ...d })),
      ...(r.changes ?? []).map((d) => ({ r, what: 'change', path: d.path, desired: d.desired, observed: d.observed })),
    ];
  });
  if (rows.length === 0) return null;
  return (
    <section aria-labelledby="diff-heading">
      <h2 id="diff-heading">Differences</h2>
      <Scroll labelledBy="diff-caption">
        <table>
          <caption id="diff-caption">Fields where Huawei differs from the manifest (drift) or that this request changes</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">What</th>
              <th scope="col">Field</th>
              <th scope="col">Manifest</th>
              <th scope="col">Huawei</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr>
                <td>{d.r.kind}</td>
                <th scope="row">{d.r.name}</th>
                <td>{d.what}</td>
                <td>
                  <code>{d.path}</code>
                </td>
                <td class="msg">
                  <code>{specValue(d.path, d.desired)}</code>
                </td>
                <td class="msg">
                  <code>{specValue(d.path, d.observed)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </section>
  );
}

function Approval(props: { approval: ApprovalRecord }) {
  const { approval } = props;
  return (
    <section aria-labelledby="approval-heading">
      <h2 id="approval-heading">Approval</h2>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <StateLabel state={approval.state} />
        </dd>
        <dt>Asked by</dt>
        <dd>{approval.requestedBy}</dd>
        <dt>Who may approve</dt>
        <dd>{approval.approvers.length > 0 ? approval.approvers.join(', ') : 'any holder of the approve role'}</dd>
        <dt>Expires</dt>
        <dd>
          <Time at={approval.expiresAt} />
        </dd>
        <dt>Why</dt>
        <dd>
          <ul class="plain">
            {approval.reasons.map((reason) => (
              <li>{reason}</li>
            ))}
          </ul>
        </dd>
      </dl>
      <Scroll labelledBy="approval-caption">
        <table>
          <caption id="approval-caption">Approval history, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Who</th>
              <th scope="col">How</th>
              <th scope="col">Comment</th>
            </tr>
          </thead>
          <tbody>
            {approval.history.map((step) => (
              <tr>
                <td>
                  <Time at={step.at} />
                </td>
                <th scope="row">{step.action}</th>
                <td>{step.by}</td>
                <td>{step.channel ?? ''}</td>
                <td class="msg">{step.comment ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </section>
  );
}

function Rejected(props: { documents: RejectedDocument[] }) {
  return (
    <Scroll labelledBy="rejected-caption">
      <table>
        <caption id="rejected-caption">Rejected documents: nothing was queued</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Document</th>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Errors</th>
          </tr>
        </thead>
        <tbody>
          {props.documents.map((d) => (
            <tr>
              <th scope="row">
                <code>{d.file}</code>
              </th>
              <td>{d.index + 1}</td>
              <td>{d.kind ?? ''}</td>
              <td>{d.name ?? ''}</td>
              <td class="msg">
                <ul class="plain">
                  {d.errors.map((e) => (
                    <li>
                      {e.path ? <code>{e.path}</code> : null} {e.message}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

export function RequestPage(props: { data: RequestPageData }) {
  const { data } = props;
  const { request } = data;
  const updatedAt = data.resources.reduce((latest, r) => (r.updatedAt > latest ? r.updatedAt : latest), request.updatedAt);
  return (
    <>
      <h1>
        Request <code>{request.requestId}</code>
      </h1>
      <dl class="facts">
        <dt>State</dt>
        <dd data-state={data.state}>
          <StateLabel state={data.state} />
        </dd>
        <Source request={request} />
        <dt>Accepted</dt>
        <dd>
          <Time at={request.createdAt} />
        </dd>
        <dt>Last change</dt>
        <dd>
          <Time at={updatedAt} />
        </dd>
        {request.completedAt ? (
          <>
            <dt>Completed</dt>
            <dd>
              <Time at={request.completedAt} /> <span class="muted">(after {duration(request.createdAt, request.completedAt)})</span>
            </dd>
          </>
        ) : null}
      </dl>
      {request.rejected?.length ? <Rejected documents={request.rejected} /> : null}
      {request.approval ? <Approval approval={request.approval} /> : null}
      {data.resources.length > 0 ? (
        <>
          <ResourceRows data={data} />
          <Diffs data={data} />
          <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <Timeline data={data} />
          </section>
        </>
      ) : null}
    </>
  );
}
