/** Per kind: the name Huawei knows a resource by, the ownership mark put into its create body, and how to recognise it again. */
import type { Kind } from '../manifests/kinds';
import { notebookMarker, OWNERSHIP_TAG_KEY, ownershipId } from '../manifests/ownership';

type Body = Record<string, unknown>;
type Obj = Record<string, unknown> | undefined;

const obj = (value: unknown): Obj =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const POOL_NAME_LABEL = 'os.modelarts/name';

/** The name a look-up searches for: what Huawei lists the resource under. */
export function huaweiName(kind: Kind, body: Body): string {
  switch (kind) {
    case 'Notebook':
    case 'EdgeDeployment':
      return str(body.name) ?? '';
    case 'ResourcePool':
      return str(obj(obj(body.metadata)?.labels)?.[POOL_NAME_LABEL]) ?? '';
    case 'NodePool':
      return str(obj(body.metadata)?.name) ?? '';
  }
}

/**
 * The body actually sent: the user's body plus the ownership mark. Notebooks have no tags, so the mark
 * ends the description (the validator keeps room for it); edge deployments take a tag; pools and node
 * pools are recognised by their unique display name and name.
 */
export function markedBody(kind: Kind, body: Body, projectId: string, name: string, extra: { poolId?: string } = {}): Body {
  switch (kind) {
    case 'Notebook': {
      const description = str(body.description) ?? '';
      return {
        ...body,
        ...(extra.poolId ? { pool_id: extra.poolId } : {}),
        description: `${description}${notebookMarker(projectId, name)}`.trimStart(),
      };
    }
    case 'EdgeDeployment': {
      const tags = Array.isArray(body.tags) ? body.tags : [];
      return { ...body, tags: [...tags, { key: OWNERSHIP_TAG_KEY, value: ownershipId(projectId, kind, name) }] };
    }
    default:
      return body;
  }
}

/** The Huawei id of an existing resource that this identity created, or undefined. */
export function ownedId(kind: Kind, found: unknown, projectId: string, name: string, body: Body): string | undefined {
  const item = obj(found);
  if (!item) return undefined;
  const wanted = huaweiName(kind, body);
  switch (kind) {
    case 'Notebook': {
      const marker = notebookMarker(projectId, name).trim();
      return str(item.name) === wanted && (str(item.description) ?? '').endsWith(marker) ? str(item.id) : undefined;
    }
    case 'EdgeDeployment': {
      const tags = Array.isArray(item.tags) ? item.tags : [];
      const mine = tags.some((t) => obj(t)?.key === OWNERSHIP_TAG_KEY && obj(t)?.value === ownershipId(projectId, kind, name));
      return str(item.name) === wanted && mine ? str(item.id) : undefined;
    }
    case 'ResourcePool': {
      const metadata = obj(item.metadata);
      return str(obj(metadata?.labels)?.[POOL_NAME_LABEL]) === wanted ? str(metadata?.name) : undefined;
    }
    case 'NodePool': {
      const metadata = obj(item.metadata);
      return str(metadata?.name) === wanted ? str(metadata?.name) : undefined;
    }
  }
}
