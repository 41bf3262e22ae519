/**
 * The Vault adapter (node-vault underneath) against the Vault protocol fake: health states, token TTL and
 * policies, capabilities, KV v2 metadata, check-and-set writes, version reads, error texts, headers, TLS,
 * and the loader's environment rules. A canary value is written and must never appear in an error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createRequire } from 'node:module';
import { startFakeVault, type FakeVault } from '../fakes/vault/server.js';
import { createVaultAdapter, splitKvPath, vaultErrorText } from '../../src/adapters/vault/index.js';
import { loadVault, vaultOptionsFrom } from '../../src/adapters/vault/load.js';
import { PreconditionFailed } from '../../src/adapters/ports.js';
import { selfSignedCert } from '../helpers/pki.js';
import { requireBinaries } from '../helpers/backend.js';

let vault: FakeVault | null = null;
afterEach(async () => {
  await vault?.stop();
  vault = null;
});

const CANARY = 'CANARY-vault-adapter-7f3e9b1c';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

const ROTATOR = {
  rotator: [
    { path: 'secret/data/payments/*', capabilities: ['read', 'update', 'create'] as const },
    { path: 'secret/metadata/payments/*', capabilities: ['read', 'list'] as const },
  ].map((r) => ({ ...r, capabilities: [...r.capabilities] })),
  reader: [
    { path: 'secret/data/payments/*', capabilities: ['read' as const] },
    { path: 'secret/metadata/payments/*', capabilities: ['read' as const] },
  ],
};

describe('Vault adapter against the Vault fake', () => {
  it('reports health for active, standby, sealed and uninitialised servers', async () => {
    vault = await startFakeVault();
    const { read } = await createVaultAdapter({ addr: vault.url, token: vault.rootToken });
    expect(await read.health()).toEqual({ sealed: false, standby: false, initialized: true });
    vault.setStandby(true);
    expect(await read.health()).toEqual({ sealed: false, standby: true, initialized: true });
    vault.setStandby(false);
    vault.seal();
    expect(await read.health()).toMatchObject({ sealed: true, initialized: true });
    vault.setInitialized(false);
    expect(await read.health()).toMatchObject({ sealed: true, initialized: false });
  });

  it('token TTL and policies from lookup-self; sends X-Vault-Token, X-Vault-Request and X-Vault-Namespace', async () => {
    let t = Date.UTC(2026, 0, 1);
    vault = await startFakeVault({
      now: () => t,
      requireRequestHeader: true,
      tokens: { ops: { policies: ['default', 'rotator'], ttlSeconds: 7200 } },
    });
    const { read } = await createVaultAdapter({ addr: vault.url, token: 'ops', namespace: 'team-a' });
    t += 200_000;
    expect(await read.tokenInfo()).toEqual({ ttlSeconds: 7000, policies: ['default', 'rotator'] });
    const r = vault.requests.at(-1)!;
    expect(r.headers['x-vault-token']).toBe('ops');
    expect(r.headers['x-vault-request']).toBe('true');
    expect(r.headers['x-vault-namespace']).toBe('team-a');
  });

  it('metadata: current version, versions and created times; capabilities of the token', async () => {
    let t = Date.UTC(2026, 0, 1);
    vault = await startFakeVault({
      now: () => t,
      tokens: { ops: { policies: ['rotator'], ttlSeconds: 7 * 86_400 } },
      policies: ROTATOR,
    });
    vault.put('secret', 'payments/stripe', { api_key: 'a' });
    t += 86_400_000;
    vault.put('secret', 'payments/stripe', { api_key: 'b' });
    const { read } = await createVaultAdapter({ addr: vault.url, token: 'ops' });
    const meta = await read.metadata('secret/payments/stripe');
    expect(meta.currentVersion).toBe(2);
    expect(meta.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(meta.versions[1]!.createdTime.startsWith('2026-01-02T00:00:00')).toBe(true);
    expect(meta.versions[0]).toMatchObject({ destroyed: false, deleted: false });
    expect(await read.capabilities!('secret/payments/stripe')).toEqual({
      data: ['read', 'update', 'create'],
      metadata: ['read', 'list'],
    });
    const missing = await failure(read.metadata('secret/payments/nothing'));
    expect(missing.message).toBe('vault metadata secret/payments/nothing: not found (HTTP 404)');
  });

  it('write with check-and-set; a stale cas is a PreconditionFailed and changes nothing; read a version back', async () => {
    vault = await startFakeVault({
      tokens: { ops: { policies: ['rotator'], ttlSeconds: 600 } },
      policies: ROTATOR,
    });
    vault.put('secret', 'payments/stripe', { api_key: 'old', other: 'kept' });
    const { mutate } = await createVaultAdapter({ addr: vault.url, token: 'ops' });
    expect(await mutate.write('secret/payments/stripe', { api_key: CANARY, other: 'kept' }, 1)).toEqual({
      version: 2,
    });
    expect(vault.read('secret', 'payments/stripe')).toEqual({ api_key: CANARY, other: 'kept' });
    const stale = await failure(mutate.write('secret/payments/stripe', { api_key: CANARY }, 1));
    expect(stale).toBeInstanceOf(PreconditionFailed);
    expect(stale.message).toContain('check-and-set parameter did not match the current version');
    expect(stale.message).toContain('no longer at version 1');
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(2);
    expect(inspect(stale)).not.toContain(CANARY);
    expect(await mutate.readVersion('secret/payments/stripe', 1)).toEqual({ api_key: 'old', other: 'kept' });
  });

  it("a denied path and a sealed Vault fail with Vault's reason, and the error carries no value", async () => {
    vault = await startFakeVault({
      tokens: { ro: { policies: ['reader'], ttlSeconds: 600 } },
      policies: ROTATOR,
    });
    vault.put('secret', 'payments/stripe', { api_key: 'old' });
    const { mutate, read } = await createVaultAdapter({ addr: vault.url, token: 'ro' });
    expect((await read.capabilities!('secret/payments/stripe')).data).toEqual(['read']);
    const denied = await failure(mutate.write('secret/payments/stripe', { api_key: CANARY }, 1));
    expect(denied.message).toBe('vault write secret/payments/stripe: permission denied (HTTP 403)');
    expect(inspect(denied, { depth: 10 })).not.toContain(CANARY);
    expect(JSON.stringify(Object.entries(denied))).not.toContain(CANARY);
    vault.seal();
    const sealed = await failure(mutate.write('secret/payments/stripe', { api_key: CANARY }, 1));
    expect(sealed.message).toBe('vault write secret/payments/stripe: Vault is sealed (HTTP 503)');
    expect(inspect(sealed, { depth: 10 })).not.toContain(CANARY);
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(1);
  });

  it('Vault error text is stripped of terminal escapes before it can reach the screen', async () => {
    vault = await startFakeVault();
    vault.failNext(() => true, 500, ['\u001b]52;c;ZXZpbA==\u0007boom\u001b[2J\nagain']);
    const { read } = await createVaultAdapter({ addr: vault.url, token: vault.rootToken });
    const err = await failure(read.tokenInfo());
    expect(err.message).toBe('vault token lookup-self: boom again (HTTP 500)');
  });

  it('an unreachable Vault is an error naming the address, without the request body', async () => {
    vault = await startFakeVault();
    const addr = vault.url;
    await vault.stop();
    vault = null;
    const { mutate } = await createVaultAdapter({ addr, token: 't', timeoutMs: 2000 });
    const err = await failure(mutate.write('secret/payments/stripe', { api_key: CANARY }, 1));
    expect(err.message).toMatch(
      /^vault write secret\/payments\/stripe: .*ECONNREFUSED.*\(http:\/\/127\.0\.0\.1:\d+\)$/,
    );
    expect(inspect(err, { depth: 10 })).not.toContain(CANARY);
  });

  it('node-vault debug output never sees values, even with DEBUG=node-vault', async () => {
    vault = await startFakeVault();
    vault.put('secret', 'payments/stripe', { api_key: 'x' });
    const require = createRequire(import.meta.url);
    const debug = require('debug') as { enable(ns: string): void; disable(): string };
    const nodeVault = require('node-vault') as (c: Record<string, unknown>) => {
      write(p: string, d: unknown): Promise<unknown>;
    };
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    debug.enable('node-vault');
    try {
      // Control: a plain node-vault client does print the request body under DEBUG (the leak we prevent).
      await nodeVault({ endpoint: vault.url, token: vault.rootToken }).write('secret/data/payments/other', {
        data: { api_key: 'CONTROL-value-printed-by-debug' },
      });
      const { mutate } = await createVaultAdapter({ addr: vault.url, token: vault.rootToken });
      await mutate.write('secret/payments/stripe', { api_key: CANARY }, 1);
    } finally {
      debug.disable();
      process.stderr.write = orig;
    }
    expect(writes.join('')).toContain('CONTROL-value-printed-by-debug');
    expect(writes.join('')).not.toContain(CANARY);
  });

  it.runIf(requireBinaries(['openssl']))(
    'verifies TLS with VAULT_CACERT; VAULT_SKIP_VERIFY skips',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'oncall-vault-tls-'));
      selfSignedCert({
        keyFile: join(dir, 'k.pem'),
        certFile: join(dir, 'c.pem'),
        cn: 'vault.test',
        days: 2,
        san: 'IP:127.0.0.1',
      });
      vault = await startFakeVault({
        tls: { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
      });
      const env = { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken, VAULT_CACERT: join(dir, 'c.pem') };
      const trusted = await loadVault({}, { readOnly: true, env, home: dir });
      expect(await trusted.read.tokenInfo()).toMatchObject({ policies: ['root'] });
      expect(trusted.mutate).toBeNull();
      const untrusted = await loadVault(
        {},
        { readOnly: false, env: { ...env, VAULT_CACERT: '' }, home: dir },
      );
      expect((await failure(untrusted.read.tokenInfo())).message).toMatch(/self[- ]signed certificate/);
      const skipping = await loadVault(
        {},
        { readOnly: false, env: { ...env, VAULT_CACERT: '', VAULT_SKIP_VERIFY: '1' }, home: dir },
      );
      expect(await skipping.read.tokenInfo()).toMatchObject({ policies: ['root'] });
    },
  );
});

describe('Vault loader and helpers', () => {
  it('address from config or VAULT_ADDR, token from VAULT_TOKEN or ~/.vault-token, namespace', () => {
    const home = mkdtempSync(join(tmpdir(), 'oncall-vault-home-'));
    expect(() => vaultOptionsFrom({}, {}, home)).toThrow(
      'no Vault address: set vault.addr in the config or VAULT_ADDR',
    );
    expect(() => vaultOptionsFrom({}, { VAULT_ADDR: 'http://127.0.0.1:8200' }, home)).toThrow(
      /no Vault token: set VAULT_TOKEN or run `vault login` \(.*\.vault-token: missing\)/,
    );
    writeFileSync(join(home, '.vault-token'), 'file-token\n');
    expect(
      vaultOptionsFrom({}, { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_NAMESPACE: 'ns1' }, home),
    ).toEqual({
      addr: 'http://127.0.0.1:8200',
      token: 'file-token',
      namespace: 'ns1',
      caCert: undefined,
      skipVerify: false,
    });
    expect(
      vaultOptionsFrom(
        { vault: { addr: 'https://127.0.0.1:8201', namespace: 'cfg' } },
        { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 'env-token', VAULT_SKIP_VERIFY: 'true' },
        home,
      ),
    ).toMatchObject({
      addr: 'https://127.0.0.1:8201',
      token: 'env-token',
      namespace: 'cfg',
      skipVerify: true,
    });
    expect(() =>
      vaultOptionsFrom(
        {},
        { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 't', VAULT_CACERT: join(home, 'nope.pem') },
        home,
      ),
    ).toThrow(/VAULT_CACERT .*nope\.pem: ENOENT/);
  });

  it('splits logical KV paths and unwraps Vault multierrors', () => {
    expect(splitKvPath('secret/payments/stripe')).toEqual({ mount: 'secret', path: 'payments/stripe' });
    expect(splitKvPath('kv/team-a/app/db', ['kv/team-a'])).toEqual({ mount: 'kv/team-a', path: 'app/db' });
    expect(() => splitKvPath('secret')).toThrow('is not a KV v2 path');
    expect(vaultErrorText(['1 error occurred:\n\t* permission denied\n\n'])).toBe('permission denied');
    expect(vaultErrorText(['Vault is sealed'])).toBe('Vault is sealed');
  });
});
