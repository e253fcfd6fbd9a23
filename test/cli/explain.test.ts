/** `hwc-provisioner explain`: a field's description, type, rules and whether it is required, from the published schema. */
import { describe, expect, it } from 'vitest';
import { explainField } from '../../cli/explain';
import type { Io } from '../../cli/io';
import { run } from '../../cli/main';

function captureIo(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: async () => '' };
}

async function explain(...args: string[]) {
  const io = captureIo();
  const code = await run(['explain', ...args], io);
  return { code, out: io.out.join('\n'), err: io.err.join('\n') };
}

describe('hwc-provisioner explain', () => {
  it('prints a body field: description, type, rules, optional', async () => {
    const { code, out, err } = await explain('Notebook.spec.body.flavor');
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('FIELD:    Notebook.spec.body.flavor');
    expect(out).toContain('TYPE:     string');
    expect(out).toContain('REQUIRED: no');
    expect(out).toContain('ALLOWED:  at least 1 character');
    expect(out).toMatch(/DESCRIPTION:\n {2}Flavor \(machine specification\) of the instance, e\.g\. modelarts\.vm\.cpu\.2u/);
  });

  it('lists allowed values and says when a field is required', async () => {
    const { out } = await explain('ResourcePool.spec.body.spec.type');
    expect(out).toContain('REQUIRED: yes');
    expect(out).toContain('ALLOWED:  one of: Dedicate, Logical');
    expect(out).toMatch(/physical pool/);
  });

  it('gives numeric ranges and the per-kind default of an envelope field', async () => {
    const { out } = await explain('NodePool.spec.timeoutMinutes');
    expect(out).toContain('TYPE:     integer');
    expect(out).toContain('ALLOWED:  1 to 1440');
    expect(out).toContain('Default 60.');
  });

  it('lists the fields of an object, required ones marked', async () => {
    const { out } = await explain('Notebook.spec.body.volume');
    expect(out).toContain('TYPE:     object');
    expect(out).toMatch(/FIELDS:\n {2}category <string> \(required\)\n {4}Storage type/);
    expect(out).toMatch(/\n {2}capacity <integer>\n {4}EVS capacity in GB/);
  });

  it('explains a kind by itself, without a REQUIRED line', async () => {
    const { code, out } = await explain('edgedeployment');
    expect(code).toBe(0);
    expect(out).toContain('FIELD:    EdgeDeployment');
    expect(out).not.toContain('REQUIRED:');
    expect(out).toMatch(/ {2}spec <object> \(required\)/);
  });

  it('steps through lists, with or without an index, and into map values', () => {
    const viaList = explainField('EdgeDeployment.spec.body.deployment.template.containers.image_url');
    expect(viaList).toMatchObject({ path: 'EdgeDeployment.spec.body.deployment.template.containers.image_url', required: true });
    expect(explainField('EdgeDeployment.spec.body.deployment.template.containers[0].image_url').description).toBe(viaList.description);
    expect(explainField('EdgeDeployment.spec.body.deployment.template.containers.0.image_url').description).toBe(viaList.description);
    const limit = explainField('EdgeDeployment.spec.body.deployment.template.containers.resources.limits.cpu');
    expect(limit).toMatchObject({ required: false, schema: { type: 'string' } });
    expect(limit.description).toMatch(/^\(a value of limits\) Most the container may use/);
  });

  it('finds keys that contain dots', () => {
    const field = explainField('ResourcePool.spec.body.metadata.labels.os.modelarts/name');
    expect(field).toMatchObject({ path: 'ResourcePool.spec.body.metadata.labels.os.modelarts/name', required: true });
    expect(field.description).toMatch(/display name/i);
  });

  it('exits 2 for an unknown field and suggests the closest one, on stderr only', async () => {
    const { code, out, err } = await explain('Notebook.spec.body.flavour');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe('hwc-provisioner: unknown field "flavour" in Notebook.spec.body; did you mean "Notebook.spec.body.flavor"?');
  });

  it('suggests the closest field even when it is not a near miss', async () => {
    const { code, err } = await explain('Notebook.spec.zzz');
    expect(code).toBe(2);
    expect(err).toMatch(/^hwc-provisioner: unknown field "zzz" in Notebook\.spec; did you mean "Notebook\.spec\.\w+"\?$/);
  });

  it('exits 2 for an unknown kind with the closest kind', async () => {
    const { code, err } = await explain('Notebok.spec');
    expect(code).toBe(2);
    expect(err).toMatch(/unknown kind "Notebok"; did you mean "Notebook"\?/);
  });

  it('exits 2 for a path that goes past a leaf', async () => {
    const { code, err } = await explain('Notebook.spec.body.flavor.size');
    expect(code).toBe(2);
    expect(err).toMatch(/Notebook\.spec\.body\.flavor is of type string and has no fields/);
  });

  it('only accepts known map keys where the schema lists them', async () => {
    const { code, err } = await explain('EdgeDeployment.spec.body.deployment.template.containers.resources.limits.cpus');
    expect(code).toBe(2);
    expect(err).toMatch(/did you mean ".*limits\.cpu"\?/);
  });

  it.each([[[]], [['Notebook.spec', 'Notebook.metadata']], [['--format', 'json']]])('exits 2 for bad arguments: %j', async (args) => {
    const { code, out } = await explain(...args);
    expect(code).toBe(2);
    expect(out).toBe('');
  });

  it('gives the same facts as JSON with --format json', async () => {
    const { code, out } = await explain('Notebook.spec.body.volume', '--format', 'json');
    expect(code).toBe(0);
    const field = JSON.parse(out);
    expect(field).toMatchObject({ path: 'Notebook.spec.body.volume', type: 'object', required: true });
    expect(field.fields).toContainEqual({
      name: 'category',
      type: 'string',
      required: true,
      description: expect.stringMatching(/^Storage type/),
    });
    const text = await explain('Notebook.spec.body.flavor', '--format=text');
    expect(text.out).toContain('FIELD:    Notebook.spec.body.flavor');
    const bad = await explain('Notebook.spec', '--format', 'yaml');
    expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/--format must be text or json, not "yaml"/) });
  });

  it('is listed in the help', async () => {
    const io = captureIo();
    await run(['help'], io);
    expect(io.out.join('\n')).toMatch(/explain KIND\[\.FIELD\.\.\.\]/);
  });
});
