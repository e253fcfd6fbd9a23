/** What the pages say about states, times, sources and Huawei errors: plain functions, so they are tested without rendering. */
import type { HuaweiService } from '../huaweicloud/endpoints';
import type { RequestSource } from '../store/types';

/** How a state is shown: a colour family, always next to the state's own word and a symbol (never colour alone). */
export type Tone = 'ok' | 'busy' | 'bad' | 'idle';

const TONES: Record<string, Tone> = {
  Succeeded: 'ok',
  Unchanged: 'ok',
  True: 'ok',
  Failed: 'bad',
  TimedOut: 'bad',
  PartiallyFailed: 'bad',
  Rejected: 'bad',
  False: 'bad',
  Deleted: 'idle',
  Orphaned: 'idle',
  Cancelled: 'idle',
  Expired: 'idle',
  Unknown: 'idle',
};

/** Every state not named above is on its way somewhere (Queued, Creating, PendingApproval, InFlight...). */
export const toneOf = (state: string): Tone => TONES[state] ?? 'busy';

export const SYMBOLS: Record<Tone, string> = { ok: '✓', busy: '◔', bad: '✕', idle: '–' };

/** `1 h 02 min`, `3 min 05 s`, `12 s`, `450 ms`: between two instants, or undefined when either is missing or they run backwards. */
export function duration(from: string | undefined, to: string | undefined): string | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  if (ms < 1000) return `${ms} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `2026-12-04 11:34:44 UTC`: one fixed, unambiguous form whatever the reader's locale. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** What to call the link to where a request came from, by the kind of source. */
export function sourceLinkLabel(source: Pick<RequestSource, 'provider' | 'ticket' | 'commit' | 'ref'>): string | undefined {
  if (source.ticket) return 'ticket';
  if (/\/pull\/\d+|!\d+$/.test(source.ref)) return 'pull request';
  if (source.commit) return 'commit';
  return undefined;
}

/** Only http(s) URLs become links: a stored `javascript:` URL must never be clickable. */
export function safeHref(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const protocol = new URL(url).protocol;
  return protocol === 'https:' || protocol === 'http:' ? url : undefined;
}

/** Who the source says asked, and how they asked. */
export function askedBy(source: Pick<RequestSource, 'provider' | 'user' | 'caller'>): string | undefined {
  const who = source.user ?? (source.caller ? `api:${source.caller}` : undefined);
  if (!who) return undefined;
  const verb =
    source.provider === 'jira' ? 'filed by' : source.provider === 'github' || source.provider === 'gitlab' ? 'pushed by' : 'sent by';
  return `${verb} ${who}`;
}

/**
 * Huawei's error code (`ModelArts.6404`, `APIGW.0308`) and request id, as a failure's reason and message carry
 * them (shared/huaweicloud/errors.ts joins `code | text | request <id>`): what Huawei support asks for.
 */
export function huaweiErrorOf(reason: string | undefined, message: string | undefined): { code?: string; requestId?: string } {
  const code = [reason, message].map((text) => text?.match(/\b([A-Z][A-Za-z]*\.\d{3,})\b/)?.[1]).find(Boolean);
  const requestId = message?.match(/\brequest ([0-9A-Za-z][0-9A-Za-z-]{7,})\b/)?.[1];
  return { ...(code ? { code } : {}), ...(requestId ? { requestId } : {}) };
}

const CONSOLE_HOME: Record<HuaweiService, string> = {
  modelarts: 'modelarts/?region={region}#/dashboard',
  ief: 'ief2.0/?region={region}#/app/dashboard',
};

/** The Huawei console of a service in a region, where the resource with that id is listed. */
export function consoleUrl(service: HuaweiService, region: string): string {
  return `https://console.huaweicloud.com/${CONSOLE_HOME[service].replace('{region}', encodeURIComponent(region))}`;
}

const SECRET_PATH =
  /pass(word|wd)?|secret|token|credential|private|(^|[._-])(ak|sk)($|[._-])|api[._-]?key|access[._-]?key|(^|\.)env(s|ironment)?($|[.[])/i;

/**
 * A value from a spec, for a diff: never a field whose path names a secret (a notebook's password, an
 * environment variable's token), and bounded so one huge field cannot swamp the page.
 */
export function specValue(path: string, value: unknown): string {
  if (SECRET_PATH.test(path)) return '(hidden)';
  if (value === undefined) return '(absent)';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
