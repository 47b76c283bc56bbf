import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// mediasoup reads MEDIASOUP_WORKER_BIN when first loaded: resolve the cached worker the
// same way scripts/setup does, so `npx vitest` works without the wrapper script too.
function workerBin(): string {
  if (process.env.MEDIASOUP_WORKER_BIN && process.env.MEDIASOUP_WORKER_BIN !== '/nonexistent') {
    return process.env.MEDIASOUP_WORKER_BIN;
  }
  return execFileSync('bash', ['-c', 'source scripts/lib.sh && export_worker_bin && printf %s "$MEDIASOUP_WORKER_BIN"'], {
    encoding: 'utf8',
  });
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: { MEDIASOUP_WORKER_BIN: workerBin() },
    // Two cores: files run one after another so mediasoup and Chromium get the CPU.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
