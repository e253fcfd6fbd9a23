/** Catalog response bodies: notebook and resource flavors, images, edge nodes and groups, in the SDK's shapes. */
import type { CatalogView } from '../catalog';
import { SIMULATED_REGION } from '../defaults';
import { isoSeconds, type JsonObject } from '../json';

/** What a flavor id says about itself (`gpu`, `8u32g`, `ascend`), so the made-up fields look like the real ones. */
function traits(flavor: string): { category: 'CPU' | 'GPU' | 'ASCEND'; arm: boolean; vcpus: number; memoryGb: number } {
  const lower = flavor.toLowerCase();
  const category = /ascend|snt|npu/.test(lower) ? 'ASCEND' : /gpu|tnt|v100|a100/.test(lower) ? 'GPU' : 'CPU';
  const vcpus = Number(/(\d+)u/.exec(lower)?.[1] ?? (category === 'CPU' ? 2 : 8));
  const memoryGb = Number(/u(\d+)g/.exec(lower)?.[1] ?? vcpus * 4);
  return { category, arm: category === 'ASCEND' || /arm|aarch64|kunpeng/.test(lower), vcpus, memoryGb };
}

/** A flavor is sold out for notebooks when no zone has it left. */
export function renderNotebookFlavor(flavor: string, view: CatalogView): JsonObject {
  const t = traits(flavor);
  const soldOut = Object.values(view.phase(flavor)).every((p) => p === 'soldout');
  return {
    id: flavor,
    name: flavor,
    arch: t.arm ? 'aarch64' : 'x86_64',
    category: t.category,
    description: `${t.category} ${t.vcpus} vCPUs ${t.memoryGb} GiB`,
    feature: 'NOTEBOOK',
    free: false,
    memory: t.memoryGb * 1024,
    vcpus: t.vcpus,
    sold_out: soldOut,
    storages: ['EFS', 'EVS'],
    evs_max_size: '4096',
    evs_sku_code: 'modelarts.vm.evs.ssd',
    grow_support_type: 'COMMON',
    billing: { code: `${flavor}.billing`, unit_num: 1 },
    ...(t.category === 'GPU' ? { gpu: { gpu: 1, gpu_memory: 16, type: 'T4' } } : {}),
    ...(t.category === 'ASCEND' ? { ascend: { npu: 1, npu_memory: 32, type: 'Ascend 910' } } : {}),
  };
}

export function renderResourceFlavor(flavor: string, view: CatalogView): JsonObject {
  const t = traits(flavor);
  return {
    apiVersion: 'v1',
    kind: 'ResourceFlavor',
    metadata: { name: flavor, labels: { 'os.modelarts/scope': 'Train,Infer,Notebook' } },
    spec: {
      type: 'Dedicate',
      cpuArch: t.arm ? 'arm64' : 'x86',
      cpu: String(t.vcpus),
      memory: `${t.memoryGb}Gi`,
      ...(t.category === 'GPU' ? { gpu: { type: 'nvidia-t4', size: '1' } } : {}),
      ...(t.category === 'ASCEND' ? { npu: { type: 'ascend-snt9', size: '1' } } : {}),
      dataVolume: [{ volumeType: 'SSD', size: '100Gi' }],
      billingModes: [0, 1],
      jobFlavors: [],
    },
    status: { phase: view.phase(flavor) },
  };
}

export function renderImage(id: string, settings: { status?: string; arch?: string }, createdAt: number): JsonObject {
  const arch = settings.arch ?? 'X86_64';
  return {
    id,
    name: `sim-image-${id.slice(0, 8)}`,
    version: '1.0.0',
    description: 'simulated notebook image',
    status: settings.status ?? 'ACTIVE',
    arch,
    type: 'BUILD_IN',
    origin: 'CUSTOMIZE',
    resource_categories: arch === 'AARCH64' ? ['ASCEND', 'CPU'] : ['CPU', 'GPU'],
    dev_services: ['NOTEBOOK', 'SSH'],
    service_type: 'COMMON',
    swr_path: `swr.${SIMULATED_REGION}.myhuaweicloud.com/atelier/sim-image-${id.slice(0, 8)}:1.0.0`,
    visibility: 'PUBLIC',
    workspace_id: '0',
    create_at: createdAt,
    update_at: createdAt,
  };
}

const NODE_TROUBLE: Record<string, string> = {
  UNCONNECTED: 'the edge node has not connected to IEF',
  FAIL: 'the edge node stopped reporting its status',
  FREEZE: 'the edge node is frozen',
};

/** One edge node as IEF shows it (EdgeNodeResp), alone under `node` or in a group's `nodes`. */
export function renderEdgeNode(id: string, state: string, createdAt: number): JsonObject {
  return {
    id,
    name: `edge-node-${id.slice(0, 8)}`,
    state,
    arch: 'x86_64',
    cpu: 4,
    memory: 8192,
    enable_gpu: false,
    enable_npu: false,
    npu_type: '',
    error_reason: NODE_TROUBLE[state] ?? '',
    os_name: 'Ubuntu',
    os_version: '22.04',
    created_at: isoSeconds(createdAt),
    updated_at: isoSeconds(createdAt),
  };
}

export function renderEdgeGroup(id: string, nodes: JsonObject[], deployments: string[], createdAt: number): JsonObject {
  return {
    id,
    name: `edge-group-${id.slice(0, 8)}`,
    description: '',
    nodes,
    deployments,
    cpu: nodes.length * 4,
    memory: nodes.length * 8192,
    gpu_num: 0,
    created_at: isoSeconds(createdAt),
    updated_at: isoSeconds(createdAt),
  };
}
