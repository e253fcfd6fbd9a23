import { describe, expect, it } from 'vitest';
import { askedBy, consoleUrl, duration, huaweiErrorOf, safeHref, sourceLinkLabel, specValue, toneOf } from '../../shared/ui/format';

describe('what the pages say', () => {
  it('gives durations between two instants in the largest sensible units', () => {
    const at = (ms: number) => new Date(Date.parse('2026-12-04T10:00:00.000Z') + ms).toISOString();
    expect(duration(at(0), at(450))).toBe('450 ms');
    expect(duration(at(0), at(12_300))).toBe('12 s');
    expect(duration(at(0), at(185_000))).toBe('3 min 05 s');
    expect(duration(at(0), at(3_720_000))).toBe('1 h 02 min');
    expect(duration(at(0), at(3 * 86_400_000 + 3_600_000))).toBe('3 d 1 h');
    expect(duration(at(1000), at(0))).toBeUndefined();
    expect(duration(undefined, at(0))).toBeUndefined();
  });

  it("reads Huawei's error code and request id out of a failure", () => {
    expect(
      huaweiErrorOf('HTTP_400', 'create Notebook: permanent | HTTP 400 | ModelArts.6404 | flavor sold out | request 7c1e7b34-2b8f-4a51'),
    ).toEqual({ code: 'ModelArts.6404', requestId: '7c1e7b34-2b8f-4a51' });
    expect(huaweiErrorOf('APIGW.0308', 'throttled')).toEqual({ code: 'APIGW.0308' });
    expect(huaweiErrorOf('CREATE_FAILED', 'the pool failed')).toEqual({});
  });

  it('names the source link and who asked', () => {
    expect(sourceLinkLabel({ provider: 'github', ref: 'o/r@abc', commit: 'abc' })).toBe('commit');
    expect(sourceLinkLabel({ provider: 'jira', ref: 'OPS-1', ticket: 'OPS-1' })).toBe('ticket');
    expect(sourceLinkLabel({ provider: 'api', ref: 'api:ci' })).toBeUndefined();
    expect(askedBy({ provider: 'gitlab', user: 'gitlab:jdoe' })).toBe('pushed by gitlab:jdoe');
    expect(askedBy({ provider: 'jira', user: 'jira:5b10a' })).toBe('filed by jira:5b10a');
    expect(askedBy({ provider: 'api', caller: 'ci' })).toBe('sent by api:ci');
  });

  it('links only http(s) URLs', () => {
    expect(safeHref('https://github.com/o/r/commit/abc')).toBe('https://github.com/o/r/commit/abc');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('data:text/html,x')).toBeUndefined();
    expect(safeHref('/relative')).toBeUndefined();
  });

  it("builds the console URL of the resource's service and region", () => {
    expect(consoleUrl('modelarts', 'cn-north-4')).toBe('https://console.huaweicloud.com/modelarts/?region=cn-north-4#/dashboard');
    expect(consoleUrl('ief', 'cn-north-4')).toBe('https://console.huaweicloud.com/ief2.0/?region=cn-north-4#/app/dashboard');
    expect(consoleUrl('ief', 'x&y#z')).toContain('region=x%26y%23z#');
  });

  it('hides the values of fields that look like secrets and bounds long ones', () => {
    expect(specValue('spec.body.flavor', 'modelarts.vm.cpu.2u')).toBe('"modelarts.vm.cpu.2u"');
    for (const path of [
      'spec.body.password',
      'spec.body.ssh.keyPairName.secret',
      'spec.body.env.DB_URL',
      'spec.body.access_key',
      'spec.token',
    ])
      expect(specValue(path, 'x')).toBe('(hidden)');
    expect(specValue('spec.body.count', undefined)).toBe('(absent)');
    expect(specValue('spec.body.description', 'a'.repeat(500))).toHaveLength(200);
  });

  it('pairs every state with a tone', () => {
    expect(toneOf('Succeeded')).toBe('ok');
    expect(toneOf('Creating')).toBe('busy');
    expect(toneOf('TimedOut')).toBe('bad');
    expect(toneOf('Orphaned')).toBe('idle');
  });
});
