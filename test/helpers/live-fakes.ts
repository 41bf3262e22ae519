/**
 * The live-mode fixtures (the Vault fake, the fake kube-apiserver, the App over them), stopped after every
 * test, with $VAULT_TOKEN put back. Assign as `const vault = (fx.vault = await startFakeVault(...))`.
 */
import { afterEach } from 'vitest';
import type { FakeApiServer } from '../fakes/kube-apiserver/index.js';
import type { FakeVault } from '../fakes/vault/server.js';
import type { RenderedApp } from './render-app.js';

export interface LiveFakes {
  kube: FakeApiServer | null;
  vault: FakeVault | null;
  app: RenderedApp | null;
}

export function liveFakes(): LiveFakes {
  const fx: LiveFakes = { kube: null, vault: null, app: null };
  const savedToken = process.env.VAULT_TOKEN;
  afterEach(async () => {
    await fx.app?.cleanup();
    fx.app = null;
    await fx.kube?.stop();
    fx.kube = null;
    await fx.vault?.stop();
    fx.vault = null;
    if (savedToken === undefined) delete process.env.VAULT_TOKEN;
    else process.env.VAULT_TOKEN = savedToken;
  });
  return fx;
}
