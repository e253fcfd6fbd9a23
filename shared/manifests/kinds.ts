/** The four resource kinds a manifest can declare, one per Huawei Cloud create API. */
export const KINDS = ['Notebook', 'ResourcePool', 'NodePool', 'EdgeDeployment'] as const;
export type Kind = (typeof KINDS)[number];

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}
