/** RESYNC_REPOSITORIES: which branches the resync follows besides those that sent pushes. */
import { describe, expect, it } from 'vitest';
import { ConfigError, resyncConfig } from '../shared/config';

describe('RESYNC_REPOSITORIES', () => {
  it('reads owner/repo[@branch], GitHub unless gitlab: is named, and defaults to none', () => {
    expect(
      resyncConfig({ RESYNC_REPOSITORIES: 'acme/infra, acme/web@release/2.x,gitlab:acme/platform/infra@main' }).RESYNC_REPOSITORIES,
    ).toEqual([
      { provider: 'github', repository: 'acme/infra' },
      { provider: 'github', repository: 'acme/web', branch: 'release/2.x' },
      { provider: 'gitlab', repository: 'acme/platform/infra', branch: 'main' },
    ]);
    expect(resyncConfig({}).RESYNC_REPOSITORIES).toEqual([]);
    expect(resyncConfig({}).RESYNC_INTERVAL_MINUTES).toBe(10);
  });

  it.each(['acme', 'acme/infra@', 'acme/../x', 'acme/a/b', 'gitlab:../x@main'])(
    'refuses %s, naming the variable and the entry',
    (value) => {
      const error = (() => {
        try {
          resyncConfig({ RESYNC_REPOSITORIES: `acme/ok,${value}` });
        } catch (e) {
          return e;
        }
      })() as ConfigError;
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.variable).toBe('RESYNC_REPOSITORIES');
      expect(error.message).toContain('entry 2');
    },
  );

  it('refuses an interval under 2 minutes, which rate(N minutes) cannot spell', () => {
    expect(() => resyncConfig({ RESYNC_INTERVAL_MINUTES: '1' })).toThrow(/RESYNC_INTERVAL_MINUTES/);
  });
});
