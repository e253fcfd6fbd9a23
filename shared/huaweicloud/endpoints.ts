/** Default Huawei Cloud API hosts per region, and the override rule for simulators and private endpoints. */

export type HuaweiService = 'modelarts' | 'ief';

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
