/** Huawei Cloud API hosts per region, the regions each service is known in, and the override rule for simulators and private endpoints. */

export type HuaweiService = 'modelarts' | 'ief';

/** The name Huawei's documentation gives each service, for messages. */
export const SERVICE_LABEL: Record<HuaweiService, string> = { modelarts: 'ModelArts', ief: 'IEF' };

/*
 * The regions Huawei's own SDKs publish an endpoint for (ModelArtsRegion in the Node.js SDK, IefRegion in
 * the Python SDK; the Node.js SDK has no IEF). A region outside these may exist, but nothing documents
 * its host, so a manifest naming it is refused rather than sent to a guessed one.
 */
const MODELARTS_REGIONS = [
  'cn-north-1',
  'cn-north-2',
  'cn-north-4',
  'cn-north-9',
  'cn-north-11',
  'cn-north-12',
  'cn-east-3',
  'cn-east-4',
  'cn-south-1',
  'cn-southwest-2',
  'cn-southwest-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'af-south-1',
  'af-north-1',
  'la-south-2',
  'la-north-2',
  'sa-brazil-1',
  'tr-west-1',
  'me-east-1',
] as const;

const IEF_REGIONS = ['cn-north-1', 'cn-north-4', 'cn-east-2', 'cn-east-3', 'cn-south-1'] as const;

export const SERVICE_REGIONS: Record<HuaweiService, readonly string[]> = { modelarts: MODELARTS_REGIONS, ief: IEF_REGIONS };

export function isKnownRegion(service: HuaweiService, region: string): boolean {
  return SERVICE_REGIONS[service].includes(region);
}

/* Both Huawei SDKs publish ModelArts in ap-southeast-1 under the .cn domain; every other region uses .com. */
const MODELARTS_CN_DOMAIN_REGIONS = new Set(['ap-southeast-1']);

export function defaultEndpoint(service: HuaweiService, region: string): string {
  const domain = service === 'modelarts' && MODELARTS_CN_DOMAIN_REGIONS.has(region) ? 'myhuaweicloud.cn' : 'myhuaweicloud.com';
  return `https://${service}.${region}.${domain}`;
}

/** An override wins; trailing slashes are dropped so paths can be appended verbatim. */
export function resolveEndpoint(service: HuaweiService, region: string, override?: string): string {
  return (override ?? defaultEndpoint(service, region)).replace(/\/+$/, '');
}
