/** Generators of hostile HTTP input for the fuzz tests: bodies, headers, signatures and mutated manifests. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';

export const hubSignature = (secret: string, body: Uint8Array | string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const encoder = new TextEncoder();
export const bytesOf = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? encoder.encode(body) : body);

/** Characters a fetch Headers value accepts (no NUL, CR, LF; nothing above U+00FF). */
const headerChar = fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 10 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xff }), weight: 1 },
  { arbitrary: fc.constant(0x09), weight: 1 },
).map((code) => String.fromCharCode(code));
export const headerValue = fc.string({ unit: headerChar, maxLength: 80 }).map((s) => s.trim());
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });

/** Text a YAML or JSON parser has to survive. */
export function deepNesting(): fc.Arbitrary<string> {
  return fc
    .record({
      depth: fc.integer({ min: 20, max: 20_000 }),
      shape: fc.constantFrom('flow-open', 'flow-closed', 'json-object', 'yaml-flow-map', 'block-seq', 'block-map', 'mixed'),
    })
    .map(({ depth, shape }) => {
      switch (shape) {
        case 'flow-open':
          return '['.repeat(depth);
        case 'flow-closed':
          return `${'['.repeat(depth)}${']'.repeat(depth)}`;
        case 'json-object':
          return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
        case 'yaml-flow-map':
          return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
        case 'block-seq':
          return `${'- '.repeat(depth)}x`;
        case 'block-map':
          // Indentation grows quadratically; keep it well under the body limit.
          return Array.from({ length: Math.min(depth, 1_000) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1';
        default:
          return `${'{"a": [- '.repeat(depth)}`;
      }
    });
}

/** "Billion laughs" and friends: anchors referenced many times over. */
export function aliasBomb(): fc.Arbitrary<string> {
  return fc.record({ levels: fc.integer({ min: 2, max: 12 }), fanout: fc.integer({ min: 2, max: 10 }), asManifest: fc.boolean() }).map(({ levels, fanout, asManifest }) => {
    const lines = ['l0: &l0 "lol"'];
    for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: fanout }, () => `*l${i - 1}`).join(', ')}]`);
    if (!asManifest) return lines.join('\n');
    return `apiVersion: hwc-provisioner/v1\nkind: Notebook\nmetadata: {name: bomb}\nspec:\n  body:\n    x: &l0 lol\n${lines
      .slice(1)
      .map((l) => `    ${l.replace(/^l(\d+): /, 'k$1: ')}`)
      .join('\n')}`;
  });
}

/** Keys that reach Object.prototype in naive code, in JSON and YAML spellings. */
export function prototypeKeys(): fc.Arbitrary<string> {
  return fc.constantFrom(
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"polluted": true}}}',
    '{"apiVersion": "hwc-provisioner/v1", "kind": "Notebook", "metadata": {"name": "x", "__proto__": {"admin": true}}, "spec": {"body": {}}}',
    '[{"__proto__": []}, {"constructor": "x"}]',
    '__proto__:\n  polluted: true\n',
    'constructor:\n  prototype:\n    polluted: true\n',
    'a: {__proto__: {b: 1}}',
    '? __proto__\n: 1\n',
    '{"ref": "refs/heads/main", "__proto__": {"ref": "x"}, "repository": {"full_name": "a/b", "__proto__": null}}',
    '{"webhookEvent": "jira:issue_created", "issue": {"key": "AB-1", "__proto__": {"fields": {"description": "```yaml\\na: 1\\n```"}}}}',
  );
}

export function hugeNumbers(): fc.Arbitrary<string> {
  return fc.constantFrom(
    '{"a": 1e999999}',
    '{"a": -1e400, "b": 123456789012345678901234567890123456789012345678901234567890}',
    '{"project_id": 1e308, "object_kind": "push"}',
    '{"project_id": 9007199254740993}',
    'a: .inf\nb: -.inf\nc: .nan\nd: 1e-400\ne: 0x7fffffffffffffffffff',
    `{"n": ${'9'.repeat(5000)}}`,
  );
}

export function duplicateKeys(): fc.Arbitrary<string> {
  return fc.constantFrom(
    '{"ref": "refs/heads/main", "ref": "refs/heads/other"}',
    'kind: Notebook\nkind: ResourcePool\n',
    '{"apiVersion": "hwc-provisioner/v1", "apiVersion": "x"}',
    'metadata:\n  name: a\nmetadata:\n  name: b\n',
    '{"webhookEvent": "jira:issue_created", "webhookEvent": "jira:issue_updated", "issue": {"key": "AB-1"}}',
  );
}

/** Strings with characters SQS, DynamoDB or a naive UTF-8 round trip choke on. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\uffff', '\ufffe', '\ud800', 'a\udc00b', '\u0000', '\u0001\u0002', '\u202e', 'x'.repeat(70_000), '', ' ', '../../etc/passwd', '${jndi:ldap://x}', '%00', '\r\n'),
);

/** Bodies of any sort: arbitrary JSON, arbitrary text, arbitrary bytes and the hostile shapes above. */
export function anyBody(): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 4 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 3 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 3 },
    { arbitrary: fc.constantFrom(new Uint8Array([0xff, 0xfe, 0xfd]), new Uint8Array([0xc3, 0x28]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array([0xf4, 0x90, 0x80, 0x80]), new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d])), weight: 1 },
    { arbitrary: deepNesting(), weight: 2 },
    { arbitrary: aliasBomb(), weight: 1 },
    { arbitrary: prototypeKeys(), weight: 1 },
    { arbitrary: hugeNumbers(), weight: 1 },
    { arbitrary: duplicateKeys(), weight: 1 },
    { arbitrary: fc.constant(''), weight: 1 },
  );
}

/** A random cut of a body: what a dropped connection or a proxy truncation delivers. */
export const truncate = (body: string | Uint8Array, fraction: number): Uint8Array => {
  const bytes = bytesOf(body);
  return bytes.slice(0, Math.floor(bytes.length * fraction));
};

export const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', ' application/json ;x=y'), weight: 6 },
  { arbitrary: fc.constantFrom('application/yaml', 'text/yaml', 'application/x-yaml'), weight: 3 },
  { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', ';', 'application/jsonx'), weight: 2 },
  { arbitrary: headerValue, weight: 1 },
);

/** Signature headers that are not the valid one for this body (checked by the caller: a random string may still hit). */
export function wrongSignature(secret: string): fc.Arbitrary<(body: Uint8Array) => string | undefined> {
  return fc.oneof(
    fc.constant(() => undefined),
    fc.constant(() => ''),
    fc.constant(() => 'sha256='),
    headerValue.map((v) => () => v),
    hex(64).map((h) => () => `sha256=${h}`),
    hex(40).map((h) => () => `sha1=${h}`),
    fc.string({ minLength: 1, maxLength: 20 }).map((other) => (body: Uint8Array) => hubSignature(`${secret}${other}`, body)),
    fc.constant((body: Uint8Array) => hubSignature(secret, new Uint8Array([...body, 0x20]))),
    fc.constant((body: Uint8Array) => hubSignature(secret, body).slice(0, -1)),
    fc.constant((body: Uint8Array) => `${hubSignature(secret, body)}0`),
    fc.constant((body: Uint8Array) => hubSignature(secret, body).replace('sha256=', 'sha512=')),
    fc.constant((body: Uint8Array) => hubSignature(secret, body).replace('sha256=', '')),
    fc.constant((body: Uint8Array) => `${hubSignature(secret, body)},${hubSignature(secret, body)}`),
  );
}

/** Bearer headers that do not carry a configured token. */
export function wrongBearer(token: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    headerValue,
    headerValue.map((v) => `Bearer ${v}`),
    fc.constantFrom('Bearer', 'Bearer ', `Basic ${Buffer.from(`ci:${token}`).toString('base64')}`, `Bearer ${token.slice(0, -1)}`, `Bearer ${token}x`, `Bearer ${token.toUpperCase()}`, `Bearer ${token} ${token}`, `Token ${token}`, token, `ci=${token}`, `Bearer ci=${token}`),
  );
}

// ---- Manifests: the examples, mutated one field at a time. ----

const EXAMPLES = ['all-kinds', 'edge-deployment', 'node-pool', 'notebook', 'resource-pool'].flatMap((name) =>
  parseAllDocuments(readFileSync(`examples/${name}.yaml`, 'utf8')).map((d) => d.toJS() as Record<string, unknown>),
);

function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  nastyString,
  fc.constantFrom(1e200, -1e300, 1e-200, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, -0, 0.1 + 0.2, 4.4, 1e21),
  fc.constantFrom({ '': 'empty key' }, { 'a.b': { '#x': 1 } }, [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]),
  fc.constant(JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)),
  fc.constant(undefined),
);

export interface ManifestBody {
  text: string;
  type: string;
}

/** One to four example manifests, one of them with a field replaced, removed or added; as YAML, JSON or a JSON array. */
export function mutatedManifests(): fc.Arbitrary<ManifestBody> {
  const one = fc.record({ doc: fc.constantFrom(...EXAMPLES), pick: fc.nat(), value: oddValue, addKey: fc.option(fc.string({ maxLength: 12 })), mutate: fc.boolean(), name: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/)) }).map(({ doc, pick, value, addKey, mutate, name }) => {
    const copy = structuredClone(doc);
    if (name) (copy.metadata as Record<string, unknown>).name = name;
    if (!mutate) return copy;
    const all = paths(copy).filter((p) => p.length > 0);
    const path = all[pick % all.length]!;
    let target = copy as Record<string | number, unknown>;
    for (const segment of path.slice(0, -1)) target = target[segment] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (addKey !== null && typeof target === 'object' && !Array.isArray(target)) target[addKey] = value;
    else if (value === undefined) delete target[last];
    else target[last] = value;
    return copy;
  });
  return fc.record({ docs: fc.array(one, { minLength: 1, maxLength: 4 }), format: fc.constantFrom('yaml', 'json', 'json-array') }).map(({ docs, format }) => {
    if (format === 'yaml') {
      let text: string;
      try {
        text = docs.map((d) => stringify(d, { aliasDuplicateObjects: false })).join('---\n');
      } catch {
        text = docs.map((d) => JSON.stringify(d)).join('\n---\n');
      }
      return { text, type: 'application/yaml' };
    }
    if (format === 'json') return { text: JSON.stringify(docs[0]), type: 'application/json' };
    return { text: JSON.stringify(docs), type: 'application/json' };
  });
}

/** A Jira issue event whose description holds yaml blocks in one of the three notations. */
export function jiraEvent(): fc.Arbitrary<unknown> {
  const block = fc.oneof(mutatedManifests().map((m) => m.text), fc.string({ unit: 'binary', maxLength: 200 }), aliasBomb(), prototypeKeys(), deepNesting().map((s) => s.slice(0, 50_000)));
  return fc
    .record({
      event: fc.oneof(fc.constantFrom('jira:issue_created', 'jira:issue_updated'), fc.constantFrom('jira:issue_deleted', 'comment_created'), nastyString),
      key: fc.oneof(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,5}-\d{1,6}$/), nastyString),
      self: fc.option(fc.oneof(fc.constantFrom('https://jira.example.com/rest/api/2/issue/1', 'not a url', '', 'http://[::1', 'javascript:alert(1)', '//x'), nastyString)),
      blocks: fc.array(block, { maxLength: 3 }),
      notation: fc.constantFrom('markdown', 'wiki', 'adf', 'garbage'),
    })
    .map(({ event, key, self, blocks, notation }) => {
      let description: unknown;
      if (notation === 'markdown') description = blocks.map((b) => `text\n\`\`\`yaml\n${b}\n\`\`\`\n`).join('');
      else if (notation === 'wiki') description = blocks.map((b) => `{code:yaml}\n${b}{code}`).join('\n');
      else if (notation === 'adf') description = { type: 'doc', content: blocks.map((b) => ({ type: 'codeBlock', attrs: { language: 'yaml' }, content: [{ type: 'text', text: b }] })) };
      else description = { type: 'doc', content: [{ type: 'codeBlock', attrs: { language: 'yaml' }, content: 'not-a-list' }], nested: JSON.parse(`${'{"content":['.repeat(200)}1${']}'.repeat(200)}`) };
      return { webhookEvent: event, issue: { key, ...(self !== null ? { self } : {}), fields: { description } } };
    });
}

/** A GitHub push, a GitLab Push Hook, or something shaped like one, with hostile field values. */
export function pushPayload(provider: 'github' | 'gitlab'): fc.Arbitrary<unknown> {
  const sha = fc.oneof(hex(40).map((h) => h.toLowerCase()), fc.constant('0'.repeat(40)), nastyString);
  return fc
    .record({ branch: fc.oneof(fc.constant('main'), nastyString), before: sha, after: sha, repo: fc.oneof(fc.constant('acme/infra'), nastyString), extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), projectId: fc.oneof(fc.integer(), fc.constantFrom(1e308, -0, 2 ** 53 + 2)), drop: fc.constantFrom('none', 'ref', 'repository', 'after') })
    .map(({ branch, before, after, repo, extra, projectId, drop }) => {
      const payload: Record<string, unknown> =
        provider === 'github'
          ? { ...extra, ref: `refs/heads/${branch}`, before, after, repository: { id: 1296269, full_name: repo, default_branch: branch } }
          : { ...extra, object_kind: 'push', ref: `refs/heads/${branch}`, before, after, project_id: projectId, project: { path_with_namespace: repo, default_branch: branch, web_url: repo } };
      if (drop !== 'none') delete payload[drop];
      return payload;
    });
}
