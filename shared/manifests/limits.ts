/** Apart from parse.ts so the HTTP API can cap request bodies without loading the YAML parser. */

/** A source larger than this is rejected before parsing: no manifest comes close, and parsing cost grows with size. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

/*
 * Bounds on what a rejection echoes of its input (unknown keys, kinds, names, values quoted in messages).
 * A rejected request's record and its request.rejected event (which waits in the same item as an outbox) both
 * carry the report, and the item must fit DynamoDB's 400 KB whatever was submitted; the event must also fit
 * SNS's 256 KB. The report as a whole is bounded in bytes (MAX_REJECTED_BYTES: two copies and the rest of the
 * item stay under half the limit); the per-text bounds, in UTF-16 code units (at most 3 bytes each in UTF-8),
 * keep any one long value from crowding out the rest of the report.
 */

/** An error message; 1,000 characters tell any real mistake, with room for the did-you-mean and known-field lists. */
export const MAX_ECHOED_MESSAGE_CHARS = 1_000;
/** An error's dotted path; real paths are a few dozen characters. */
export const MAX_ECHOED_PATH_CHARS = 200;
/** A file name (a repository path, a ticket's block, a queue message). */
export const MAX_ECHOED_FILE_CHARS = 200;
/** A key, kind or name quoted in a message or listed with a rejected document; real ones are under 64 characters. */
export const MAX_ECHOED_NAME_CHARS = 100;
/** Unknown keys named one by one in a message; the rest are counted. */
export const MAX_ECHOED_KEYS = 10;
/** Errors listed per rejected document; the rest are counted in a last "… and N more errors" entry. */
export const MAX_ERRORS_PER_DOCUMENT = 50;
/** Rejected documents listed; the rest are counted in a last "… and N more rejected documents" entry. */
export const MAX_REJECTED_DOCUMENTS = 50;
/** The listed report's JSON size: with the record's other fields and the event's copy, far below 400 KB. */
export const MAX_REJECTED_BYTES = 64 * 1024;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * At most `max` characters, ending in "…" when cut; never splits a surrogate pair, and replaces lone
 * surrogates (which have no UTF-8 form) with U+FFFD. Clipping a clipped text changes nothing.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text.replace(LONE_SURROGATE, '\ufffd');
  let end = max - 1;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return `${text.slice(0, end).replace(LONE_SURROGATE, '\ufffd')}…`;
}

/** A value quoted in a message: clipped, and JSON-quoted so control characters cannot break a log or comment line. */
export function quoted(value: string, max = MAX_ECHOED_NAME_CHARS): string {
  return JSON.stringify(clipText(value, max));
}
