/** The frame every page shares: skip link, navigation, who is looking, and the script that keeps a live page current. */
import { createHash } from 'node:crypto';
import type { Child } from 'hono/jsx';
import type { Viewer } from '../http/viewer';
import { safeHref, shortTime, SYMBOLS, toneOf } from './format';
import { STYLESHEET_VERSION } from './style';

/**
 * While `<main data-live="true">`, re-fetches the page and swaps in its `<main>`; the new one says whether to go
 * on. Focus stays on the element (by id) that had it, so a keyboard user is not thrown back to the top.
 */
const LIVE_SCRIPT = `(() => {
  const d = document;
  const next = () => {
    const m = d.querySelector('main');
    if (m && m.dataset.live === 'true') setTimeout(tick, Number(m.dataset.pollMs) || 3000);
  };
  const tick = async () => {
    if (d.hidden) return next();
    try {
      const r = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' });
      if (r.ok) {
        const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
        const fresh = doc.querySelector('main');
        const old = d.querySelector('main');
        if (fresh && old) {
          const id = d.activeElement && old.contains(d.activeElement) ? d.activeElement.id : '';
          old.replaceWith(d.importNode(fresh, true));
          d.title = doc.title;
          if (id) d.getElementById(id)?.focus();
        }
      }
    } catch {}
    next();
  };
  next();
})();`;

/** For the Content-Security-Policy: the one inline script the pages run, by hash; nothing else may run. */
export const LIVE_SCRIPT_HASH = `sha256-${createHash('sha256').update(LIVE_SCRIPT).digest('base64')}`;

export function StateLabel(props: { state: string }) {
  const tone = toneOf(props.state);
  return (
    <span class={`state ${tone}`}>
      <span aria-hidden="true">{SYMBOLS[tone]} </span>
      {props.state}
    </span>
  );
}

export function Time(props: { at: string | undefined }) {
  return props.at ? <time datetime={props.at}>{shortTime(props.at)}</time> : <span class="muted">—</span>;
}

/** The Huawei console page listing a resource, or undefined when there is none to link to. */
export type ConsoleUrl = (resource: { kind: string; region: string; huaweiId: string }) => string | undefined;

/** Huawei's id of a resource, linked to the console where it is listed. */
export function HuaweiId(props: { resource: { kind: string; region: string; huaweiId?: string }; consoleUrl: ConsoleUrl }) {
  const { kind, region, huaweiId } = props.resource;
  if (!huaweiId) return <span class="muted">—</span>;
  const href = safeHref(props.consoleUrl({ kind, region, huaweiId }));
  const id = <code>{huaweiId}</code>;
  return href ? (
    <a href={href} rel="noreferrer noopener" title={`Huawei console, ${region}`}>
      {id}
    </a>
  ) : (
    id
  );
}

/**
 * A wide table's frame: it scrolls sideways on a phone, and takes focus so a keyboard can scroll it too
 * (a region named by the table's caption).
 */
export function Scroll(props: { labelledBy: string; children?: Child }) {
  return (
    <section class="scroll" aria-labelledby={props.labelledBy} tabindex={0}>
      {props.children}
    </section>
  );
}

function Who(props: { viewer: Viewer | undefined }) {
  const { viewer } = props;
  if (!viewer) return <p class="who">Not signed in</p>;
  if (viewer.kind === 'link') return <p class="who">Read-only link to one request, valid until {shortTime(viewer.expiresAt)}</p>;
  if (viewer.kind === 'token') return <p class="who">API caller {viewer.caller.caller}</p>;
  return (
    <p class="who">
      Signed in as {viewer.name} · <a href="/ui/logout">Sign out</a>
    </p>
  );
}

export interface PageProps {
  title: string;
  viewer: Viewer | undefined;
  /** Refresh the page's main content every pollMs while true. */
  live?: boolean;
  pollMs?: number;
  children?: Child;
}

export function Page(props: PageProps) {
  const lists = props.viewer !== undefined && props.viewer.kind !== 'link';
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · hwc-provisioner`}</title>
        <link rel="stylesheet" href={`/ui/style.css?v=${STYLESHEET_VERSION}`} />
      </head>
      <body>
        <a class="skip" href="#content">
          Skip to content
        </a>
        <header>
          <strong>hwc-provisioner</strong>
          {lists ? (
            <nav aria-label="Sections">
              <ul>
                <li>
                  <a href="/ui">Requests</a>
                </li>
                <li>
                  <a href="/ui/resources">Resources</a>
                </li>
              </ul>
            </nav>
          ) : null}
          <Who viewer={props.viewer} />
        </header>
        <main id="content" tabindex={-1} data-live={props.live ? 'true' : 'false'} data-poll-ms={String(props.pollMs ?? 3000)}>
          {props.children}
        </main>
        {props.live !== undefined ? <script dangerouslySetInnerHTML={{ __html: LIVE_SCRIPT }} /> : null}
      </body>
    </html>
  );
}
