/** Generators of hostile input for the fuzz tests: bodies, headers, signatures, mutated manifests and intake queue messages. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';

export const hubSignature = (secret: string, body: Uint8Array | string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const encoder = new TextEncoder();
export const bytesOf = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? encoder.encode(body) : body);

/** Characters a fetch Headers value accepts (no NUL, CR, LF; nothing above U+00FF). */
const headerChar = fc
  .oneof(
    { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 10 },
    { arbitrary: fc.integer({ min: 0x80, max: 0xff }), weight: 1 },
    { arbitrary: fc.constant(0x09), weight: 1 },
  )
  .map((code) => String.fromCharCode(code));
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
          return `${Array.from({ length: Math.min(depth, 1_000) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1`;
        default:
          return `${'{"a": [- '.repeat(depth)}`;
      }
    });
}

/** "Billion laughs" and friends: anchors referenced many times over. */
export function aliasBomb(): fc.Arbitrary<string> {
  return fc
    .record({ levels: fc.integer({ min: 2, max: 12 }), fanout: fc.integer({ min: 2, max: 10 }), asManifest: fc.boolean() })
    .map(({ levels, fanout, asManifest }) => {
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
    '{"apiVersion": "hwc-provisioner/v1", "kind": "Notebook", "metadata": ' +
      '{"name": "x", "__proto__": {"admin": true}}, "spec": {"body": {}}}',
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
  fc.constantFrom(
    '\uffff',
    '\ufffe',
    '\ud800',
    'a\udc00b',
    '\u0000',
    '\u0001\u0002',
    '\u202e',
    'x'.repeat(70_000),
    '',
    ' ',
    '../../etc/passwd',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j lookup string, sent as data on purpose
    '${jndi:ldap://x}',
    '%00',
    '\r\n',
  ),
);

/** Bodies of any sort: arbitrary JSON, arbitrary text, arbitrary bytes and the hostile shapes above. */
export function anyBody(): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 4 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 3 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        new Uint8Array([0xff, 0xfe, 0xfd]),
        new Uint8Array([0xc3, 0x28]),
        new Uint8Array([0xed, 0xa0, 0x80]),
        new Uint8Array([0xf4, 0x90, 0x80, 0x80]),
        new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
      ),
      weight: 1,
    },
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
  {
    arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', ' application/json ;x=y'),
    weight: 6,
  },
  { arbitrary: fc.constantFrom('application/yaml', 'text/yaml', 'application/x-yaml'), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
      ';',
      'application/jsonx',
    ),
    weight: 2,
  },
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
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      `Basic ${Buffer.from(`ci:${token}`).toString('base64')}`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Bearer ${token.toUpperCase()}`,
      `Bearer ${token} ${token}`,
      `Token ${token}`,
      token,
      `ci=${token}`,
      `Bearer ci=${token}`,
    ),
  );
}

// ---- Manifests: the examples, mutated one field at a time. ----

const EXAMPLES = ['all-kinds', 'edge-deployment', 'node-pool', 'notebook', 'resource-pool'].flatMap((name) =>
  parseAllDocuments(readFileSync(`examples/${name}.yaml`, 'utf8')).map((d) => d.toJS() as Record<string, unknown>),
);

function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) for (const [i, v] of value.entries()) paths(v, [...prefix, i], out);
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
  const one = fc
    .record({
      doc: fc.constantFrom(...EXAMPLES),
      pick: fc.nat(),
      value: oddValue,
      addKey: fc.option(fc.string({ maxLength: 12 })),
      mutate: fc.boolean(),
      name: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/)),
    })
    .map(({ doc, pick, value, addKey, mutate, name }) => {
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
  return fc
    .record({ docs: fc.array(one, { minLength: 1, maxLength: 4 }), format: fc.constantFrom('yaml', 'json', 'json-array') })
    .map(({ docs, format }) => {
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
  const block = fc.oneof(
    mutatedManifests().map((m) => m.text),
    fc.string({ unit: 'binary', maxLength: 200 }),
    aliasBomb(),
    prototypeKeys(),
    deepNesting().map((s) => s.slice(0, 50_000)),
  );
  return fc
    .record({
      event: fc.oneof(
        fc.constantFrom('jira:issue_created', 'jira:issue_updated'),
        fc.constantFrom('jira:issue_deleted', 'comment_created'),
        nastyString,
      ),
      key: fc.oneof(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,5}-\d{1,6}$/), nastyString),
      self: fc.option(
        fc.oneof(
          fc.constantFrom('https://jira.example.com/rest/api/2/issue/1', 'not a url', '', 'http://[::1', 'javascript:alert(1)', '//x'),
          nastyString,
        ),
      ),
      blocks: fc.array(block, { maxLength: 3 }),
      notation: fc.constantFrom('markdown', 'wiki', 'adf', 'garbage'),
    })
    .map(({ event, key, self, blocks, notation }) => {
      let description: unknown;
      if (notation === 'markdown') description = blocks.map((b) => `text\n\`\`\`yaml\n${b}\n\`\`\`\n`).join('');
      else if (notation === 'wiki') description = blocks.map((b) => `{code:yaml}\n${b}{code}`).join('\n');
      else if (notation === 'adf')
        description = {
          type: 'doc',
          content: blocks.map((b) => ({ type: 'codeBlock', attrs: { language: 'yaml' }, content: [{ type: 'text', text: b }] })),
        };
      else
        description = {
          type: 'doc',
          content: [{ type: 'codeBlock', attrs: { language: 'yaml' }, content: 'not-a-list' }],
          nested: JSON.parse(`${'{"content":['.repeat(200)}1${']}'.repeat(200)}`),
        };
      return { webhookEvent: event, issue: { key, ...(self !== null ? { self } : {}), fields: { description } } };
    });
}

/** A GitHub push, a GitLab Push Hook, or something shaped like one, with hostile field values. */
export function pushPayload(provider: 'github' | 'gitlab'): fc.Arbitrary<unknown> {
  const sha = fc.oneof(
    hex(40).map((h) => h.toLowerCase()),
    fc.constant('0'.repeat(40)),
    nastyString,
  );
  return fc
    .record({
      branch: fc.oneof(fc.constant('main'), nastyString),
      before: sha,
      after: sha,
      repo: fc.oneof(fc.constant('acme/infra'), nastyString),
      extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      projectId: fc.oneof(fc.integer(), fc.constantFrom(1e308, -0, 2 ** 53 + 2)),
      drop: fc.constantFrom('none', 'ref', 'repository', 'after'),
    })
    .map(({ branch, before, after, repo, extra, projectId, drop }) => {
      const payload: Record<string, unknown> =
        provider === 'github'
          ? { ...extra, ref: `refs/heads/${branch}`, before, after, repository: { id: 1296269, full_name: repo, default_branch: branch } }
          : {
              ...extra,
              object_kind: 'push',
              ref: `refs/heads/${branch}`,
              before,
              after,
              project_id: projectId,
              project: { path_with_namespace: repo, default_branch: branch, web_url: repo },
            };
      if (drop !== 'none') delete payload[drop];
      return payload;
    });
}

// ---- Manifests valid as they stand, changed in one known way, so each case knows its verdict. ----

export type ManifestKind = 'Notebook' | 'ResourcePool' | 'NodePool' | 'EdgeDeployment';
export const MANIFEST_KINDS: readonly ManifestKind[] = ['Notebook', 'ResourcePool', 'NodePool', 'EdgeDeployment'];
/** What spec.poolName must look like: a generated ModelArts pool id (the notebook example's pool_id). */
export const POOL_ID = 'pool-test1202-06024304be00d5092fbdc0013d201342';
/** Huawei's example IEF instance id: the affinity fields need a Platinum instance. */
export const IEF_INSTANCE_ID = 'db953bf7-9f6c-4e90-9963-0a4453df72ba';

const EXAMPLE_FILES: Record<ManifestKind, string> = {
  Notebook: 'notebook',
  ResourcePool: 'resource-pool',
  NodePool: 'node-pool',
  EdgeDeployment: 'edge-deployment',
};
const BASES = Object.fromEntries(
  MANIFEST_KINDS.map((kind) => {
    const doc = parseAllDocuments(readFileSync(`examples/${EXAMPLE_FILES[kind]}.yaml`, 'utf8'))[0]!.toJS() as Record<string, any>;
    // The example names a short pool id for readability; the envelope wants a real one.
    if (kind === 'NodePool') doc.spec.poolName = POOL_ID;
    return [kind, doc];
  }),
) as Record<ManifestKind, Record<string, any>>;

/** A fresh copy of a valid manifest of `kind` named `name` (the fuzz suite checks they validate). */
export function validManifest(kind: ManifestKind, name: string): Record<string, any> {
  const doc = structuredClone(BASES[kind]);
  doc.metadata = { ...doc.metadata, name };
  return doc;
}

/** An own, enumerable property even for "__proto__", which plain assignment would turn into a prototype change. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The object at `path`, creating empty maps (or lists, before a numeric segment) on the way. */
export function ensurePath(doc: Record<string, any>, path: readonly (string | number)[]): Record<string, any> {
  let node: any = doc;
  for (const [i, segment] of path.entries()) {
    if (node[segment] === undefined || node[segment] === null) node[segment] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[segment];
  }
  return node;
}

export function getPath(doc: unknown, path: readonly (string | number)[]): unknown {
  let node: any = doc;
  for (const segment of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

function setPath(doc: Record<string, any>, path: readonly (string | number)[], value: unknown): void {
  setOwn(ensurePath(doc, path.slice(0, -1)), String(path[path.length - 1]), value);
}

export type Format = 'yaml' | 'json' | 'json-array';
export const formats = fc.constantFrom<Format>('yaml', 'json', 'json-array');

/** Documents as a request body: a YAML stream, one JSON object (one document only), or a JSON array. */
export function serialise(docs: readonly Record<string, unknown>[], format: Format): { text: string; type: string } {
  if (format === 'yaml')
    return { text: docs.map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n'), type: 'application/yaml' };
  if (format === 'json' && docs.length === 1) return { text: JSON.stringify(docs[0]), type: 'application/json' };
  return { text: JSON.stringify(docs), type: 'application/json' };
}

// ---- 1. Map keys named like Object.prototype members, in every map of a manifest. ----

/** Every own member of Object.prototype, __proto__ included (the parser refuses that one by name). */
export const PROTOTYPE_MEMBER_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

/**
 * Where a key can go, and what the schema makes of an unknown one there: `free` maps take any key with a string
 * value, `k8s` maps take Kubernetes label keys, `strict` objects refuse every key they do not know.
 */
export interface KeyPlacement {
  kind: ManifestKind;
  path: readonly (string | number)[];
  map: 'free' | 'k8s' | 'strict';
  /** Makes the base manifest able to hold the map at all (the affinity fields need a Platinum instance). */
  prepare?: (doc: Record<string, any>) => void;
}

const EDGE_MATCH_LABELS = [
  'spec',
  'body',
  'deployment',
  'template',
  'affinity',
  'podAffinity',
  'requiredDuringSchedulingIgnoredDuringExecution',
  0,
  'labelSelector',
  'matchLabels',
] as const;

export const KEY_PLACEMENTS: readonly KeyPlacement[] = [
  ...MANIFEST_KINDS.flatMap((kind): KeyPlacement[] => [
    { kind, path: ['metadata', 'labels'], map: 'free' },
    { kind, path: [], map: 'strict' },
    { kind, path: ['metadata'], map: 'strict' },
    { kind, path: ['spec'], map: 'strict' },
    { kind, path: ['spec', 'body'], map: 'strict' },
  ]),
  { kind: 'NodePool', path: ['spec', 'body', 'spec', 'resources', 'extendParams'], map: 'free' },
  { kind: 'NodePool', path: ['spec', 'body', 'spec', 'resources', 'labels'], map: 'k8s' },
  { kind: 'NodePool', path: ['spec', 'body', 'metadata', 'annotations'], map: 'strict' },
  { kind: 'ResourcePool', path: ['spec', 'body', 'metadata', 'annotations'], map: 'strict' },
  { kind: 'ResourcePool', path: ['spec', 'body', 'metadata', 'labels'], map: 'strict' },
  { kind: 'ResourcePool', path: ['spec', 'body', 'spec', 'resources', 0], map: 'strict' },
  { kind: 'EdgeDeployment', path: ['spec', 'body', 'deployment', 'template', 'containers', 0], map: 'strict' },
  { kind: 'EdgeDeployment', path: ['spec', 'body', 'tags', 0], map: 'strict' },
  { kind: 'EdgeDeployment', path: EDGE_MATCH_LABELS, map: 'free', prepare: (doc) => (doc.spec.iefInstanceId = IEF_INSTANCE_ID) },
  { kind: 'Notebook', path: ['spec', 'body', 'affinity', 'required_during_scheduling_ignored_during_execution', 0], map: 'strict' },
  { kind: 'Notebook', path: ['spec', 'body', 'volume'], map: 'strict' },
];

const K8S_LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export interface KeyInsertion {
  path: readonly (string | number)[];
  key: string;
  value: unknown;
  map: KeyPlacement['map'];
  /** Whether the manifest stays valid with this key in place. */
  allowed: boolean;
}

export interface PrototypeKeyCase {
  /** The manifest holding the keys, then 0-2 valid ones of other kinds beside it. */
  docs: Record<string, unknown>[];
  target: { kind: ManifestKind; name: string; index: number };
  insertions: KeyInsertion[];
  format: Format;
  /** Every insertion is allowed: the request must be accepted. */
  valid: boolean;
}

/** One manifest with one to three prototype-named keys at known places, beside up to two valid manifests of other names. */
export function prototypeKeyCase(): fc.Arbitrary<PrototypeKeyCase> {
  const insertion = fc.record({
    placement: fc.nat(),
    key: fc.constantFrom(...PROTOTYPE_MEMBER_NAMES),
    // A computed key: an own "__proto__" property when k is "__proto__", not a prototype.
    value: fc.oneof(
      { arbitrary: fc.constant<unknown>('v'), weight: 6 },
      { arbitrary: fc.constantFrom(...PROTOTYPE_MEMBER_NAMES).map((k): unknown => ({ [k]: 'v' })), weight: 1 },
      { arbitrary: fc.constant<unknown>(1), weight: 1 },
    ),
  });
  // Half the cases put string values into maps that take any key, so that acceptance is exercised as much as refusal.
  const legal = fc.record({
    placement: fc.nat(),
    key: fc.constantFrom(...PROTOTYPE_MEMBER_NAMES.filter((k) => k !== '__proto__')),
    value: fc.constant<unknown>('v'),
  });
  return fc
    .record({
      kind: fc.constantFrom(...MANIFEST_KINDS),
      legalOnly: fc.boolean(),
      insertions: fc.array(insertion, { minLength: 1, maxLength: 3 }),
      legalInsertions: fc.array(legal, { minLength: 1, maxLength: 3 }),
      fillers: fc.subarray([...MANIFEST_KINDS], { maxLength: 2 }),
      position: fc.nat(),
      format: formats,
    })
    .map(({ kind, legalOnly, insertions: anywhere, legalInsertions, fillers, position, format }) => {
      const placements = KEY_PLACEMENTS.filter((p) => p.kind === kind && (!legalOnly || p.map === 'free'));
      const insertions = legalOnly ? legalInsertions : anywhere;
      const doc = validManifest(kind, 'proto-target');
      const done = new Map<string, KeyInsertion>();
      for (const { placement, key, value } of insertions) {
        const where = placements[placement % placements.length]!;
        where.prepare?.(doc);
        // A fresh object per insertion: the YAML writer would otherwise emit an anchor and an alias.
        const copy = typeof value === 'object' ? structuredClone(value) : value;
        setOwn(ensurePath(doc, where.path), key, copy);
        const allowed =
          key !== '__proto__' && typeof value === 'string' && (where.map === 'free' || (where.map === 'k8s' && K8S_LABEL_NAME.test(key)));
        done.set(`${where.path.join('.')}\u0000${key}`, { path: where.path, key, value, map: where.map, allowed });
      }
      const others = fillers.map((k, i) => validManifest(k, `proto-filler-${i}`));
      const index = position % (others.length + 1);
      const docs = [...others.slice(0, index), doc, ...others.slice(index)];
      const all = [...done.values()];
      return {
        docs,
        target: { kind, name: 'proto-target', index },
        insertions: all,
        format: docs.length > 1 && format === 'json' ? 'json-array' : format,
        valid: all.every((i) => i.allowed),
      };
    });
}

// ---- 2. Huge strings wherever a rejection echoes the input. ----

export interface HugeCase {
  where: string;
  text: string;
  type: string;
  /** The manifest is invalid whatever the string holds; false where a long value may be legal. */
  invalid: boolean;
}

/** Characters of 1 to 4 UTF-8 bytes (and two UTF-16 units for the emoji), plus ones JSON and YAML escape. */
const hugeUnit = fc.constantFrom('k', 'é', '€', '😀', '\u2028', '"', '\\');

/**
 * A manifest (or many) with one string as long as `budget` bytes allow, in a position a rejection quotes:
 * unknown key names, kind, apiVersion, metadata.name, Kubernetes label keys, many long keys, many documents.
 */
export function hugeEchoes(budget: number): fc.Arbitrary<HugeCase> {
  type Build = { where: string; invalid: boolean; build: (s: (length: number) => string, length: number) => Record<string, unknown>[] };
  const one = (where: string, invalid: boolean, change: (doc: Record<string, any>, huge: string) => void): Build => ({
    where,
    invalid,
    build: (s, length) => {
      const doc = validManifest('NodePool', 'huge');
      change(doc, s(length));
      return [doc];
    },
  });
  const builds: Build[] = [
    one('unknown key at the root', true, (doc, huge) => setOwn(doc, huge, 'x')),
    one('unknown key in metadata', true, (doc, huge) => setOwn(doc.metadata, huge, 'x')),
    one('unknown key in spec.body', true, (doc, huge) => setOwn(doc.spec.body.spec.resources, huge, 'x')),
    one('kind', true, (doc, huge) => (doc.kind = huge)),
    one('apiVersion', true, (doc, huge) => (doc.apiVersion = huge)),
    one('metadata.name', true, (doc, huge) => (doc.metadata.name = huge)),
    one('Kubernetes label key', true, (doc, huge) => setOwn(ensurePath(doc, ['spec', 'body', 'spec', 'resources', 'labels']), huge, 'v')),
    one('spec.poolName', true, (doc, huge) => (doc.spec.poolName = huge)),
    one('label value', false, (doc, huge) => (doc.metadata.labels = { team: huge })),
    {
      where: 'many long unknown keys',
      invalid: true,
      build: (s, length) => {
        const doc = validManifest('NodePool', 'huge');
        const count = 2 + (length % 199);
        for (let i = 0; i < count; i++) setOwn(doc.metadata, `${i}${s(Math.floor(length / count))}`, 'x');
        return [doc];
      },
    },
    {
      where: 'many documents with long unknown keys',
      invalid: true,
      build: (s, length) => {
        // Small documents, so even the queue's budget holds more than the 500-document cap.
        const count = 2 + (length % Math.min(520, Math.floor(budget / 400)));
        return Array.from({ length: count }, (_, i) => {
          const doc: Record<string, unknown> = { apiVersion: 'hwc-provisioner/v1', kind: 'Notebook', metadata: { name: `huge-${i}` } };
          setOwn(doc, `${i}${s(Math.floor(length / count / 2))}`, 1);
          return doc;
        });
      },
    },
  ];
  return fc
    .record({
      which: fc.nat(),
      unit: hugeUnit,
      size: fc.oneof(fc.integer({ min: 1_000, max: budget }), fc.constant(budget)),
      format: fc.constantFrom<Format>('yaml', 'json'),
    })
    .map(({ which, unit, size, format }) => {
      const { where, invalid, build } = builds[which % builds.length]!;
      const render = (length: number) =>
        serialise(
          build((n) => unit.repeat(Math.max(1, Math.ceil(n / unit.length))), length),
          format,
        );
      // Escaping and multi-byte characters make the bytes exceed the length: shrink until the body fits.
      let length = size;
      let body = render(length);
      for (
        let bytes = Buffer.byteLength(body.text), tries = 0;
        bytes > budget && tries < 10;
        bytes = Buffer.byteLength(body.text), tries++
      ) {
        length = Math.floor((length * budget * 0.97) / bytes);
        body = render(length);
      }
      if (Buffer.byteLength(body.text) > budget) throw new Error(`hugeEchoes: ${where} does not fit ${budget} bytes`);
      return { where, invalid, ...body };
    });
}

// ---- 3 and 5. Values that become URL paths, headers or hosts: control characters and dot segments. ----

/** A manifest field whose value ends up in a Huawei API path, a header or the host name; `sample` is a valid value. */
export interface BoundField {
  kind: ManifestKind;
  path: readonly (string | number)[];
  sample: string;
  /** Where the value goes; `query` values are URL-encoded into a query string and may hold anything. */
  reaches: 'path' | 'header' | 'host' | 'query';
  prepare?: (doc: Record<string, any>) => void;
}

export const BOUND_FIELDS: readonly BoundField[] = [
  ...MANIFEST_KINDS.flatMap((kind): BoundField[] => [
    { kind, path: ['metadata', 'name'], sample: 'fuzz-name', reaches: 'path' },
    { kind, path: ['spec', 'projectId'], sample: '0123456789abcdef0123456789abcdef', reaches: 'header' },
    { kind, path: ['spec', 'region'], sample: 'cn-north-4', reaches: 'host' },
  ]),
  { kind: 'NodePool', path: ['spec', 'poolName'], sample: POOL_ID, reaches: 'path' },
  { kind: 'NodePool', path: ['spec', 'poolRef'], sample: 'train-pool', reaches: 'path', prepare: (doc) => delete doc.spec.poolName },
  { kind: 'Notebook', path: ['spec', 'poolRef'], sample: 'train-pool', reaches: 'path', prepare: (doc) => delete doc.spec.body.pool_id },
  { kind: 'NodePool', path: ['spec', 'body', 'metadata', 'name'], sample: 'nodepool-1', reaches: 'path' },
  { kind: 'EdgeDeployment', path: ['spec', 'iefInstanceId'], sample: IEF_INSTANCE_ID, reaches: 'header' },
  { kind: 'Notebook', path: ['spec', 'body', 'name'], sample: 'notebooks_test', reaches: 'query' },
  { kind: 'EdgeDeployment', path: ['spec', 'body', 'name'], sample: 'app', reaches: 'query' },
  { kind: 'ResourcePool', path: ['spec', 'body', 'metadata', 'labels', 'os.modelarts/name'], sample: 'pool-001', reaches: 'query' },
];

/** CR, LF, NUL, DEL, the Unicode line and paragraph separators, NEL, and a few other controls. */
export const CONTROL_CHARS = [
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  '\u007f',
  '\u2028',
  '\u2029',
  '\u0085',
  '\t',
  '\u001b',
  '\u0001',
  '\u000b',
  '\u000c',
] as const;

/** `sample` with control characters at the start, middle or end, or nothing but them. */
export function withControlChars(sample: string): fc.Arbitrary<string> {
  return fc
    .record({
      chars: fc.array(fc.constantFrom(...CONTROL_CHARS), { minLength: 1, maxLength: 3 }),
      where: fc.constantFrom('start', 'middle', 'end', 'only'),
    })
    .map(({ chars, where }) => {
      const c = chars.join('');
      const half = Math.floor(sample.length / 2);
      return where === 'start'
        ? `${c}${sample}`
        : where === 'end'
          ? `${sample}${c}`
          : where === 'only'
            ? c
            : `${sample.slice(0, half)}${c}${sample.slice(half)}`;
    });
}

export const DOT_SEGMENTS = [
  '.',
  '..',
  '%2e',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '..%2f',
  '%2e%2e%2f',
  '..%5c',
  '%252e%252e',
  '..;',
  '....',
  '...',
] as const;

/** A dot segment alone, or joined to a valid value by "/" (a/../b), or glued to it. */
export function withDotSegments(sample: string): fc.Arbitrary<string> {
  return fc
    .record({
      segment: fc.constantFrom(...DOT_SEGMENTS),
      shape: fc.constantFrom('alone', 'prefix', 'suffix', 'inside', 'glued', 'backslash'),
    })
    .map(({ segment, shape }) => {
      switch (shape) {
        case 'alone':
          return segment;
        case 'prefix':
          return `${segment}/${sample}`;
        case 'suffix':
          return `${sample}/${segment}`;
        case 'inside':
          return `${sample}/${segment}/${sample}`;
        case 'backslash':
          return `${sample}\\${segment}\\${sample}`;
        default:
          return `${sample}${segment}${sample}`;
      }
    });
}

/**
 * Whether a value could leave its place in a URL path: a "." or ".." segment (once or twice percent-decoded),
 * or a character that splits or escapes segments. Values for which this is false are harmless in a path.
 */
export function escapesPath(value: string): boolean {
  if (/[/\\%?#;]/.test(value)) return true;
  let decoded = value;
  for (let i = 0; i < 2; i++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return true;
    }
  }
  return decoded.split(/[/\\]/).some((segment) => segment === '.' || segment === '..');
}

export interface BoundFieldCase {
  field: BoundField;
  value: string;
  doc: Record<string, unknown>;
  format: Format;
}

/** A valid manifest with one path-, header- or host-bound field replaced by `values(sample)`. */
export function boundFieldCase(values: (sample: string) => fc.Arbitrary<string>, name: string): fc.Arbitrary<BoundFieldCase> {
  return fc
    .constantFrom(...BOUND_FIELDS)
    .chain((field) => fc.record({ field: fc.constant(field), value: values(field.sample), format: formats }))
    .map(({ field, value, format }) => {
      const doc = validManifest(field.kind, name);
      field.prepare?.(doc);
      setPath(doc, field.path, value);
      return { field, value, doc, format };
    });
}

/**
 * Header values a client can send with control characters: fetch refuses CR, LF and NUL outright and anything
 * above U+00FF, so the Unicode separators arrive as their UTF-8 bytes read as Latin-1, as Node reads them.
 */
export const controlHeaderValue: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      {
        arbitrary: fc.constantFrom(
          '\t',
          '\u0001',
          '\u001b',
          '\u007f',
          '\u0085',
          '\u00a0',
          Buffer.from('\u2028').toString('latin1'),
          Buffer.from('\u2029').toString('latin1'),
          ' ',
          '"',
          '\\',
          '{',
          '%0d%0a',
        ),
        weight: 2,
      },
      { arbitrary: fc.string({ unit: fc.constantFrom(...'abcdef0123456789-'), minLength: 1, maxLength: 36 }), weight: 3 },
      { arbitrary: fc.integer({ min: 100, max: 400 }).map((n) => 'k'.repeat(n)), weight: 1 },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''))
  .filter((v) => v.replace(/^[\t ]+|[\t ]+$/g, '').length > 0);

/** What a header can never carry: a delivery id holding one of these only arrives through the queue. */
export const unsendableHeaderValue: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'abc123-'), maxLength: 10 }),
    fc.constantFrom('\r', '\n', '\r\n', '\u0000', '\u2028', '\u2029'),
    fc.string({ unit: fc.constantFrom(...'abc123-'), maxLength: 10 }),
  )
  // Inside the value: fetch trims CR and LF (not NUL) at the ends before it checks.
  .map(([a, c, b]) => `${a}x${c}y${b}`);

// ---- 6. Repository names. ----

export interface RepositoryName {
  name: string;
  /** Dot segments, extra or empty segments, encoded or reserved characters: the webhook must not accept it. */
  hostile: boolean;
}

const repoPart = fc.stringMatching(/^[a-z0-9](?:[a-z0-9._-]{0,18}[a-z0-9])?$/).filter((p) => p !== '.' && p !== '..');
const ownerPart = fc.stringMatching(/^[a-z0-9]{1,12}(?:-[a-z0-9]{1,12})?$/);

/** owner/repo (GitHub) or group[/subgroup]/project (GitLab): well-formed ones, and ones that are not. */
export function repositoryName(provider: 'github' | 'gitlab'): fc.Arbitrary<RepositoryName> {
  const good =
    provider === 'github'
      ? fc.tuple(ownerPart, repoPart).map(([o, r]) => `${o}/${r}`)
      : fc.array(repoPart, { minLength: 2, maxLength: 4 }).map((parts) => parts.join('/'));
  const hostileSegment = fc.constantFrom(
    '.',
    '..',
    '%2e%2e',
    '%2E.',
    '..%2f',
    '%2F',
    '',
    ' ',
    'a b',
    'x\ty',
    'x\ny',
    'x\u0000',
    'x?y',
    'x#y',
    'x\\y',
    'x;y',
    '\u00e9',
    '\u202e',
    'x%00',
  );
  const bad = fc.oneof(
    // A well-formed name with one segment replaced, added or emptied.
    fc.tuple(good, hostileSegment, fc.nat(), fc.constantFrom('replace', 'insert')).map(([name, segment, at, how]) => {
      const parts = name.split('/');
      const i = at % (parts.length + (how === 'insert' ? 1 : 0));
      if (how === 'replace') parts[i] = segment;
      else parts.splice(i, 0, segment);
      return parts.join('/');
    }),
    fc.constantFrom(
      'acme/../../rest/api/2',
      '../acme/infra',
      'acme/infra/..',
      'acme/./infra',
      '/acme/infra',
      'acme/infra/',
      'acme//infra',
      'acme',
      '',
      'acme/infra%2F..',
      'acme%2Finfra',
      '..',
      '.',
      'acme/infra\r\nX-Injected: 1',
      `${'a'.repeat(256)}/${'b'.repeat(256)}`,
    ),
    ...(provider === 'github' ? [fc.tuple(good, repoPart).map(([name, extra]) => `${name}/${extra}`)] : []),
  );
  return fc.oneof(
    { arbitrary: good.map((name) => ({ name, hostile: false })), weight: 1 },
    { arbitrary: bad.map((name) => ({ name, hostile: true })), weight: 2 },
  );
}

// ---- Messages on the intake queue: the jobs the webhooks queue and other systems' submissions, each broken in one place. ----

const requestIdArb = fc.stringMatching(/^req_[0-9a-hjkmnp-tv-z]{26}$/);
const commitIdArb = hex(40).map((h) => h.toLowerCase());

/** A value for one field of a queued message: wrong types, hostile text, a long string, control characters, dot segments. */
const hostileField: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: oddValue, weight: 4 },
  { arbitrary: fc.constantFrom(...CONTROL_CHARS).map((c) => `a${c}b`), weight: 2 },
  { arbitrary: fc.constantFrom(...DOT_SEGMENTS), weight: 2 },
  { arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_MEMBER_NAMES).map((k): unknown => JSON.parse(`{${JSON.stringify(k)}: "v"}`)), weight: 1 },
);

/**
 * A message body as the intake function receives it: a job or an external submission with one field replaced,
 * removed or added, or no message format at all. `manifest` is a valid manifest the jobs and submissions carry.
 */
export function intakeMessageBody(manifest: string): fc.Arbitrary<string> {
  const jobs = fc.record({ requestId: requestIdArb, after: commitIdArb }).chain(({ requestId, after }) =>
    fc.constantFrom<Record<string, unknown>[]>([
      { type: 'github.push', requestId, deliveryId: 'd-1', repository: 'acme/infra', branch: 'main', before: '0'.repeat(40), after },
      {
        type: 'gitlab.push',
        requestId,
        deliveryId: 'd-1',
        projectId: 42,
        repository: 'group/infra',
        branch: 'main',
        before: '0'.repeat(40),
        after,
        url: 'https://gitlab.example.com/group/infra',
      },
      {
        type: 'jira.issue',
        requestId,
        deliveryId: 'd-1',
        ticket: 'OPS-1',
        blocks: [manifest],
        url: 'https://jira.example.com/browse/OPS-1',
      },
      {
        type: 'github.plan',
        deliveryId: 'd-1',
        repository: 'acme/infra',
        number: 1,
        baseRef: 'main',
        base: '0'.repeat(40),
        head: after,
        updatedAt: '2026-01-01T00:00:00Z',
      },
      { manifests: manifest, source: { system: 'ci', reference: 'build-1' }, idempotencyKey: requestId },
      { manifests: [parseAllDocuments(manifest)[0]!.toJS()] },
    ]),
  );
  const broken = fc
    .record({ message: jobs, pick: fc.nat(), value: hostileField, how: fc.constantFrom('replace', 'remove', 'add', 'nest') })
    .map(({ message, pick, value, how }) => {
      const copy = structuredClone(message[0]!);
      const keys = Object.keys(copy);
      const key = keys[pick % keys.length]!;
      if (how === 'remove') delete copy[key];
      else if (how === 'add') setOwn(copy, typeof value === 'string' ? value.slice(0, 64) : `extra${pick}`, value);
      else if (how === 'nest' && copy.source && typeof copy.source === 'object')
        setOwn(copy.source as Record<string, unknown>, ['system', 'reference'][pick % 2]!, value);
      else setOwn(copy, key, value);
      return JSON.stringify(copy) ?? 'null';
    });
  return fc.oneof(
    { arbitrary: broken, weight: 6 },
    { arbitrary: anyBody().map((b) => (typeof b === 'string' ? b : Buffer.from(b).toString('utf8'))), weight: 2 },
    { arbitrary: jobs.map((m) => JSON.stringify(m[0])), weight: 1 },
  );
}
