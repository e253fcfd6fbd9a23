import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only add contention with the emulators.
    maxWorkers: 2,
    // One fauxqs and one DynamoDB Local for the whole run; tests reach them via inject() (test/setup/stack.ts).
    globalSetup: ['test/setup/emulators.ts'],
  },
});
