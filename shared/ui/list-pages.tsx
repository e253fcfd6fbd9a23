/** The requests list (/ui) and the inventory (/ui/resources): one page of the list index each, with filters as a GET form. */
import type { RequestListItem } from '../store/lists';
import type { Condition, ManagedResource, Provider, RequestState } from '../store/types';
import { askedBy, safeHref, sourceLinkLabel, specValue } from './format';
import { type ConsoleUrl, HuaweiId, Scroll, StateLabel, Time } from './layout';

/** A link to the next page: the same filters, after the cursor. */
function olderHref(path: string, filters: Record<string, string | undefined>, cursor: string): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  query.set('cursor', cursor);
  return `${path}?${query}`;
}

function Pager(props: { path: string; filters: Record<string, string | undefined>; cursor?: string; paged: boolean }) {
  if (!props.cursor && !props.paged) return null;
  const first = new URLSearchParams(Object.entries(props.filters).filter((e): e is [string, string] => Boolean(e[1])));
  return (
    <nav class="pager" aria-label="Pages">
      {props.paged ? <a href={first.size > 0 ? `${props.path}?${first}` : props.path}>↑ Newest</a> : null}
      {props.cursor ? <a href={olderHref(props.path, props.filters, props.cursor)}>Older →</a> : null}
    </nav>
  );
}

function Select(props: { name: string; label: string; options: readonly string[]; value: string | undefined }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="" selected={!props.value}>
          any
        </option>
        {props.options.map((option) => (
          <option value={option} selected={option === props.value}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}

export interface RequestListData {
  items: RequestListItem[];
  cursor?: string;
  /** Whether this page is past the first. */
  paged: boolean;
  filters: { source?: Provider; state?: RequestState; mine?: boolean; limit?: number };
  providers: readonly string[];
  states: readonly string[];
  /** What the viewer may see, in words, under the heading. */
  scope: string;
}

export function RequestListPage(props: { data: RequestListData }) {
  const { data } = props;
  const { source, state, mine, limit } = data.filters;
  const filters = { source, state, mine: mine ? 'true' : undefined, limit: limit ? String(limit) : undefined };
  return (
    <>
      <h1>Requests</h1>
      <p class="muted">{data.scope}</p>
      <form class="filters" method="get" action="/ui" aria-label="Filter requests">
        <Select name="source" label="Source" options={data.providers} value={data.filters.source} />
        <Select name="state" label="State" options={data.states} value={data.filters.state} />
        <label class="check">
          <input type="checkbox" name="mine" value="true" checked={data.filters.mine === true} />
          Only mine
        </label>
        <button type="submit">Filter</button>
      </form>
      <Scroll labelledBy="requests-caption">
        <table>
          <caption id="requests-caption">Requests, newest first ({data.items.length} on this page)</caption>
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">State</th>
              <th scope="col">Source</th>
              <th scope="col">Who</th>
              <th scope="col">Resources</th>
              <th scope="col">Accepted</th>
              <th scope="col">Completed</th>
            </tr>
          </thead>
          <tbody>
            {data.items.length === 0 ? (
              <tr>
                <td colspan={7}>No request matches.</td>
              </tr>
            ) : (
              data.items.map((item) => {
                const href = safeHref(item.source.url);
                const label = sourceLinkLabel(item.source);
                return (
                  <tr data-request-id={item.requestId}>
                    <th scope="row">
                      <a href={`/ui/requests/${item.requestId}`}>
                        <code>{item.requestId}</code>
                      </a>
                    </th>
                    <td data-state={item.state}>
                      <StateLabel state={item.state} />
                      {item.approval && item.approval.state !== 'Pending' ? (
                        <span class="muted"> (approval {item.approval.state.toLowerCase()})</span>
                      ) : null}
                    </td>
                    <td>
                      {item.source.provider} · <code>{item.source.ref}</code>
                      {href && label ? (
                        <>
                          {' · '}
                          <a href={href} rel="noreferrer noopener">
                            {label}
                          </a>
                        </>
                      ) : null}
                    </td>
                    <td>{askedBy(item.source) ?? ''}</td>
                    <td>{item.resourceCount}</td>
                    <td>
                      <Time at={item.createdAt} />
                    </td>
                    <td>
                      <Time at={item.completedAt} />
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </Scroll>
      <Pager path="/ui" filters={filters} paged={data.paged} {...(data.cursor ? { cursor: data.cursor } : {})} />
    </>
  );
}

type ListedResource = Omit<ManagedResource, 'desired' | 'specHash' | 'previousDesired' | 'requestIds' | 'dependents'>;

export interface InventoryData {
  items: ListedResource[];
  cursor?: string;
  paged: boolean;
  filters: { kind?: string; owner?: string; limit?: number };
  kinds: readonly string[];
  /** Only read-all viewers choose the owner; others see their own namespace's. */
  ownerChoice: boolean;
  scope: string;
  consoleUrl: ConsoleUrl;
}

function ConditionCell(props: { condition: Condition | undefined }) {
  const { condition } = props;
  if (!condition) return <td class="muted">—</td>;
  return (
    <td data-condition={condition.status}>
      <StateLabel state={condition.status} /> <span class="muted">{condition.reason}</span>
      {condition.message ? <div class="msg">{condition.message}</div> : null}
    </td>
  );
}

function Drift(props: { drift: ListedResource['drift'] }) {
  const drift = props.drift ?? [];
  if (drift.length === 0) return <span class="muted">none</span>;
  return (
    <details>
      <summary>
        {drift.length} {drift.length === 1 ? 'field differs' : 'fields differ'}
      </summary>
      <ul class="plain">
        {drift.map((d) => (
          <li>
            <code>{d.path}</code>: manifest <code>{specValue(d.path, d.desired)}</code>, Huawei <code>{specValue(d.path, d.observed)}</code>
          </li>
        ))}
      </ul>
    </details>
  );
}

export function InventoryPage(props: { data: InventoryData }) {
  const { data } = props;
  return (
    <>
      <h1>Resources</h1>
      <p class="muted">{data.scope}</p>
      <form class="filters" method="get" action="/ui/resources" aria-label="Filter resources">
        <Select name="kind" label="Kind" options={data.kinds} value={data.filters.kind} />
        {data.ownerChoice ? (
          <label>
            Owner
            <input type="text" name="owner" value={data.filters.owner ?? ''} placeholder="github:org/repo" maxlength={256} />
          </label>
        ) : null}
        <button type="submit">Filter</button>
      </form>
      <Scroll labelledBy="inventory-caption">
        <table>
          <caption id="inventory-caption">Managed resources by kind and name ({data.items.length} on this page)</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Owner</th>
              <th scope="col">Ready</th>
              <th scope="col">Synced</th>
              <th scope="col">Healthy</th>
              <th scope="col">Last observation</th>
              <th scope="col">Drift</th>
              <th scope="col">Huawei id</th>
              <th scope="col">Last request</th>
            </tr>
          </thead>
          <tbody>
            {data.items.length === 0 ? (
              <tr>
                <td colspan={11}>No managed resource matches.</td>
              </tr>
            ) : (
              data.items.map((m) => (
                <tr data-kind={m.kind} data-name={m.name}>
                  <td>{m.kind}</td>
                  <th scope="row">{m.name}</th>
                  <td data-state={m.state}>
                    <StateLabel state={m.state} />
                    {m.operation ? <span class="muted"> ({m.operation})</span> : null}
                  </td>
                  <td>
                    <code>{m.owner}</code>
                  </td>
                  <ConditionCell condition={m.conditions?.Ready} />
                  <ConditionCell condition={m.conditions?.Synced} />
                  <ConditionCell condition={m.conditions?.Healthy} />
                  <td class="msg">
                    {m.observation ? (
                      <>
                        {m.observation.phase}
                        {m.observation.reason ? (
                          <>
                            {' '}
                            <code>{m.observation.reason}</code>
                          </>
                        ) : null}
                        {m.observation.message ? <div>{m.observation.message}</div> : null}
                        <div class="muted">
                          <Time at={m.observation.at} />
                        </div>
                      </>
                    ) : (
                      <span class="muted">not yet</span>
                    )}
                  </td>
                  <td class="msg">
                    <Drift drift={m.drift} />
                  </td>
                  <td>
                    <HuaweiId resource={m} consoleUrl={data.consoleUrl} />
                  </td>
                  <td>
                    <a href={`/ui/requests/${m.requestId}`}>
                      <code>{m.requestId}</code>
                    </a>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </Scroll>
      <Pager
        path="/ui/resources"
        filters={{ ...data.filters, limit: data.filters.limit ? String(data.filters.limit) : undefined }}
        paged={data.paged}
        {...(data.cursor ? { cursor: data.cursor } : {})}
      />
    </>
  );
}
