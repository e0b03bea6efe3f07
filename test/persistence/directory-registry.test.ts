// The directory registry (the embedded default) passes the registry port's contract.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { openRegistry } from '../../persistence/open-registry.ts';
import { registryContract } from './registry-contract.ts';

registryContract('directory', {
  async fresh() {
    const root = await mkdtemp(join(tmpdir(), 'buran-registry-'));
    onTestFinished(() => rm(root, { recursive: true, force: true }));
    const address = join(root, 'registry');
    return { registry: await openRegistry(address), address };
  },
  open: (address) => openRegistry(address),
  opener: { module: fileURLToPath(new URL('../../persistence/open-registry.ts', import.meta.url)), exportName: 'openRegistry' },
});
