/**
 * Before a notebook is created: its flavor is offered and not sold out (`GET /v1/{project_id}/notebooks/flavors`),
 * the flavor takes the EVS volume asked for, and the image is ACTIVE and built for the flavor's architecture and
 * processor (`GET /v1/{project_id}/images/{id}`). An update checks only what it changes or grows.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { urlEncode } from '../../huaweicloud/signer';
import type { AdapterResource, PreflightCheck, PreflightContext, ResourceSpec } from '../adapter';
import { type Json, num, obj, str } from '../common';
import { type Answer, failed, lookUp, passed, readOf, unanswered } from '../preflight';

/** Huawei's default EVS size for a notebook, in GB. */
const DEFAULT_CAPACITY_GB = 5;

const upper = (value: unknown) => (typeof value === 'string' ? value.toUpperCase() : undefined);
const capacityOf = (body: Json) => num(obj(body.volume).capacity) ?? DEFAULT_CAPACITY_GB;
/** `x86_64` and `X86_64`, `aarch64` and `AARCH64`: the flavor and image APIs spell the same arch differently. */
const sameArch = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

type FlavorAnswer = { status: 'ok'; flavor: Json | undefined } | Exclude<Answer, { status: 'ok' }>;

async function findFlavor(cloud: HuaweiTransport, target: HuaweiTarget, spec: ResourceSpec, flavor: string, signal?: AbortSignal) {
  const { body } = spec;
  // A dedicated pool's flavors are listed apart from the shared ones (DERIVED from the list's `type` filter).
  const dedicated = body.pool_id !== undefined || spec.poolRef !== undefined;
  const answer = readOf(
    await lookUp(
      cloud,
      {
        operation: 'list notebook flavors',
        service: 'modelarts',
        target,
        path: `/v1/${urlEncode(target.projectId)}/notebooks/flavors`,
        query: { type: dedicated ? 'DEDICATED' : 'MANAGED', ...(body.feature === 'DEFAULT' ? {} : { feature: 'NOTEBOOK' }) },
      },
      signal,
    ),
  );
  if (answer.status !== 'ok') return answer;
  const listed = obj(answer.body);
  // The SDK's answer has both `data` and `flavors`; Terraform reads `data`.
  const items = [listed.data, listed.flavors].find(Array.isArray) ?? [];
  return { status: 'ok', flavor: items.map(obj).find((f) => f.id === flavor) } satisfies FlavorAnswer;
}

function flavorCheck(answer: FlavorAnswer, flavor: string): PreflightCheck {
  const path = 'spec.body.flavor';
  if (answer.status !== 'ok') return unanswered('flavor', path, answer, `flavor ${flavor}`);
  if (!answer.flavor) return failed('flavor', path, `flavor ${flavor} is not among the notebook flavors Huawei offers this project`);
  if (answer.flavor.sold_out === true) return failed('flavor', path, `flavor ${flavor} is sold out`);
  return passed('flavor', path, `flavor ${flavor} is available`);
}

/** Only for a flavor that was found: without it, the flavor check already says what is wrong. */
function evsCheck(found: Json, flavor: string, capacity: number): PreflightCheck {
  const storages = Array.isArray(found.storages) ? found.storages.map(upper) : undefined;
  if (storages && !storages.includes('EVS')) {
    return failed('evs-size', 'spec.body.volume.category', `flavor ${flavor} takes no EVS storage (it takes ${storages.join(', ')})`);
  }
  // A string in the SDK's model; a number would do as well.
  const max = Number(found.evs_max_size);
  const path = 'spec.body.volume.capacity';
  if (found.evs_max_size !== undefined && Number.isFinite(max) && capacity > max) {
    return failed('evs-size', path, `an EVS volume of ${capacity} GB is over flavor ${flavor}'s limit of ${max} GB`);
  }
  return passed('evs-size', path, `an EVS volume of ${capacity} GB fits flavor ${flavor}`);
}

function imageCheck(answer: Answer, imageId: string, flavor: Json | undefined): PreflightCheck {
  const path = 'spec.body.image_id';
  if (answer.status !== 'ok') return unanswered('image', path, answer, `image ${imageId}`);
  const image = obj(answer.body);
  const status = str(image.status) ?? 'in no status';
  if (status !== 'ACTIVE') return failed('image', path, `image ${imageId} is ${status}, not ACTIVE`);
  const imageArch = str(image.arch);
  const flavorArch = str(flavor?.arch);
  if (imageArch && flavorArch && !sameArch(imageArch, flavorArch)) {
    return failed('image', path, `image ${imageId} is built for ${imageArch}, and flavor ${String(flavor?.id)} runs ${flavorArch}`);
  }
  const categories = Array.isArray(image.resource_categories) ? image.resource_categories.map(upper) : [];
  const category = upper(flavor?.category);
  if (category && categories.length > 0 && !categories.includes(category)) {
    return failed('image', path, `image ${imageId} runs on ${categories.join(', ')}, not on the ${category} flavor ${String(flavor?.id)}`);
  }
  return passed('image', path, `image ${imageId} is ACTIVE`);
}

export async function notebookPreflight(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  context: PreflightContext,
): Promise<PreflightCheck[]> {
  const { body } = resource.spec;
  const current = context.operation === 'update' ? context.current?.body : undefined;
  const flavor = str(body.flavor);
  const imageId = str(body.image_id);
  const capacity = capacityOf(body);
  const evs = upper(obj(body.volume).category) === 'EVS';
  // An update checks what changes: a new flavor or image, or a volume that grows. A create checks everything.
  const newFlavor = current === undefined || flavor !== str(current.flavor);
  const newImage = current === undefined || imageId !== str(current.image_id);
  const grows = current === undefined || capacity > capacityOf(current);
  const checkEvs = evs && (newFlavor || grows);
  const checkImage = imageId !== undefined && (newImage || newFlavor);

  const [flavorAnswer, imageAnswer] = await Promise.all([
    flavor !== undefined && (newFlavor || checkEvs || checkImage)
      ? findFlavor(cloud, target, resource.spec, flavor, context.signal)
      : Promise.resolve(undefined),
    checkImage
      ? lookUp(
          cloud,
          {
            operation: 'show image',
            service: 'modelarts',
            target,
            path: `/v1/${urlEncode(target.projectId)}/images/${urlEncode(imageId)}`,
          },
          context.signal,
        )
      : Promise.resolve(undefined),
  ]);
  const found = flavorAnswer?.status === 'ok' ? flavorAnswer.flavor : undefined;
  const checks: PreflightCheck[] = [];
  if (flavor !== undefined && flavorAnswer && newFlavor) checks.push(flavorCheck(flavorAnswer, flavor));
  if (flavor !== undefined && found && checkEvs) checks.push(evsCheck(found, flavor, capacity));
  // An update that only grows the volume has no flavor check to say why the size could not be checked.
  if (flavor !== undefined && flavorAnswer && flavorAnswer.status !== 'ok' && checkEvs && !newFlavor) {
    checks.push(unanswered('evs-size', 'spec.body.volume.capacity', flavorAnswer, `flavor ${flavor}`));
  }
  if (imageId !== undefined && imageAnswer) checks.push(imageCheck(imageAnswer, imageId, found));
  return checks;
}
