/**
 * Proves the Vault fake against a real client: node-vault 0.12 talks to it exactly as it would to Vault.
 * Status codes, error texts and body shapes follow Vault's public HTTP API documentation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { policyPathMatches, startFakeVault, type FakeVault } from '../fakes/vault/server.js';

const require = createRequire(import.meta.url);
type VaultClient = {
  health(args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  tokenLookupSelf(): Promise<{ data: { ttl: number; policies: string[] } }>;
  read(path: string, opts?: Record<string, unknown>): Promise<{ data: Record<string, unknown> }>;
  write(
    path: string,
    data: unknown,
    opts?: Record<string, unknown>,
  ): Promise<{ data: Record<string, unknown> }>;
  request(opts: Record<string, unknown>): Promise<unknown>;
};
const nodeVault = require('node-vault') as (cfg: Record<string, unknown>) => VaultClient;

let vault: FakeVault | null = null;
afterEach(async () => {
  await vault?.stop();
  vault = null;
});

const client = (token?: string) =>
  nodeVault({ endpoint: vault!.url, token: token ?? vault!.rootToken, debug: () => undefined });

async function rejection(p: Promise<unknown>): Promise<{ message: string; status: number; body: unknown }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { response?: { statusCode: number; body: unknown } };
    return { message: e.message, status: e.response?.statusCode ?? 0, body: e.response?.body };
  }
  throw new Error('expected the request to fail');
}

describe('Vault fake, spoken to by node-vault', () => {
  it('sys/health: 200 active, 429 standby, 503 sealed, 501 uninitialised, and the query overrides', async () => {
    vault = await startFakeVault();
    const v = client();
    expect(await v.health()).toMatchObject({ initialized: true, sealed: false, standby: false });
    vault.setStandby(true);
    expect(await v.health()).toMatchObject({ standby: true });
    expect(vault.requests.at(-1)!.status).toBe(429);
    await v.health({ standbyok: true });
    expect(vault.requests.at(-1)!.status).toBe(200);
    vault.setStandby(false);
    vault.seal();
    expect(await v.health()).toMatchObject({ sealed: true });
    expect(vault.requests.at(-1)!.status).toBe(503);
    await v.health({ sealedcode: 200 });
    expect(vault.requests.at(-1)!.status).toBe(200);
    vault.setInitialized(false);
    expect(await v.health()).toMatchObject({ initialized: false });
    expect(vault.requests.at(-1)!.status).toBe(501);
    await v.health({ uninitcode: 299 });
    expect(vault.requests.at(-1)!.status).toBe(299);
  });

  it('a sealed Vault answers 503 "Vault is sealed" to everything but health', async () => {
    vault = await startFakeVault();
    vault.seal();
    const e = await rejection(client().tokenLookupSelf());
    expect(e).toMatchObject({
      status: 503,
      message: 'Vault is sealed',
      body: { errors: ['Vault is sealed'] },
    });
  });

  it('auth/token/lookup-self: TTL counts down on the fake clock, policies listed; bad tokens are denied', async () => {
    let t = Date.UTC(2026, 0, 1);
    vault = await startFakeVault({
      now: () => t,
      tokens: { 'ops-token': { policies: ['default', 'rotate'], ttlSeconds: 3600 } },
    });
    const self = await client('ops-token').tokenLookupSelf();
    expect(self.data).toMatchObject({ ttl: 3600, policies: ['default', 'rotate'], renewable: true });
    t += 600_000;
    expect((await client('ops-token').tokenLookupSelf()).data.ttl).toBe(3000);
    t += 3_000_000;
    expect(await rejection(client('ops-token').tokenLookupSelf())).toMatchObject({
      status: 403,
      message: 'permission denied',
    });
    expect(await rejection(client('nope').tokenLookupSelf())).toMatchObject({ status: 403 });
    expect(vault.requests.at(-1)!.headers['x-vault-token']).toBe('nope');
  });

  it("KV v2: versions, metadata, read by version, and check-and-set with Vault's error text", async () => {
    let t = Date.UTC(2026, 0, 1);
    vault = await startFakeVault({ now: () => t });
    const v = client();
    const w1 = await v.write('secret/data/payments/stripe', {
      data: { api_key: 'one' },
      options: { cas: 0 },
    });
    expect(w1.data).toMatchObject({ version: 1, destroyed: false, deletion_time: '' });
    t += 1000;
    const w2 = await v.write('secret/data/payments/stripe', {
      data: { api_key: 'two' },
      options: { cas: 1 },
    });
    expect(w2.data.version).toBe(2);

    const stale = await rejection(
      v.write('secret/data/payments/stripe', { data: { api_key: 'three' }, options: { cas: 1 } }),
    );
    expect(stale).toMatchObject({
      status: 400,
      message: 'check-and-set parameter did not match the current version',
    });
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(2);

    const meta = await v.read('secret/metadata/payments/stripe');
    expect(meta.data).toMatchObject({ current_version: 2, oldest_version: 1, max_versions: 0 });
    const versions = meta.data.versions as Record<string, { created_time: string }>;
    expect(Object.keys(versions)).toEqual(['1', '2']);
    expect(Date.parse(versions['2']!.created_time) - Date.parse(versions['1']!.created_time)).toBe(1000);

    expect((await v.read('secret/data/payments/stripe')).data).toMatchObject({
      data: { api_key: 'two' },
      metadata: { version: 2 },
    });
    expect((await v.read('secret/data/payments/stripe?version=1')).data).toMatchObject({
      data: { api_key: 'one' },
      metadata: { version: 1 },
    });
    expect(await rejection(v.read('secret/data/payments/stripe?version=9'))).toMatchObject({ status: 404 });
    expect(await rejection(v.read('secret/metadata/nothing/here'))).toMatchObject({
      status: 404,
      message: 'Status 404',
    });
  });

  it('cas_required refuses writes without cas', async () => {
    vault = await startFakeVault({ casRequired: true });
    expect(await rejection(client().write('secret/data/x', { data: { a: 'b' } }))).toMatchObject({
      status: 400,
      message: 'check-and-set parameter required for this call',
    });
  });

  it('ACL policies: 403 permission denied per path; capabilities-self reports them', async () => {
    vault = await startFakeVault({
      tokens: { ro: { policies: ['default', 'reader'], ttlSeconds: 600 } },
      policies: {
        reader: [
          { path: 'secret/data/payments/*', capabilities: ['read'] },
          { path: 'secret/metadata/payments/+', capabilities: ['read', 'list'] },
          { path: 'secret/data/payments/admin', capabilities: ['deny'] },
        ],
      },
    });
    vault.put('secret', 'payments/stripe', { api_key: 'k' });
    vault.put('secret', 'payments/admin', { root: 'r' });
    const v = client('ro');
    expect((await v.read('secret/data/payments/stripe')).data.data).toEqual({ api_key: 'k' });
    const denied = await rejection(
      v.write('secret/data/payments/stripe', { data: { api_key: 'x' }, options: { cas: 1 } }),
    );
    expect(denied.status).toBe(403);
    expect(denied.message).toContain('permission denied');
    expect(await rejection(v.read('secret/data/payments/admin'))).toMatchObject({ status: 403 });
    const caps = (await v.request({
      path: '/sys/capabilities-self',
      method: 'POST',
      json: {
        paths: ['secret/data/payments/stripe', 'secret/metadata/payments/stripe', 'secret/data/other'],
      },
    })) as Record<string, string[]>;
    expect(caps['secret/data/payments/stripe']).toEqual(['read']);
    expect(caps['secret/metadata/payments/stripe']).toEqual(['read', 'list']);
    expect(caps['secret/data/other']).toEqual(['deny']);
  });

  it('X-Vault-Request is required when the listener asks for it (as Vault Agent does)', async () => {
    vault = await startFakeVault({ requireRequestHeader: true });
    expect(await rejection(client().tokenLookupSelf())).toMatchObject({
      status: 412,
      message: "missing 'X-Vault-Request' header",
    });
    const ok = await client().request({
      path: '/auth/token/lookup-self',
      method: 'GET',
      headers: { 'X-Vault-Request': 'true' },
    });
    expect(ok).toMatchObject({ data: { policies: ['root'] } });
  });

  it('policy globs follow Vault: "*" is a prefix, "+" one segment', () => {
    expect(policyPathMatches('secret/data/*', 'secret/data/a/b')).toBe(true);
    expect(policyPathMatches('secret/data/pay*', 'secret/data/payments/x')).toBe(true);
    expect(policyPathMatches('secret/+/x', 'secret/data/x')).toBe(true);
    expect(policyPathMatches('secret/+/x', 'secret/data/y')).toBe(false);
    expect(policyPathMatches('secret/data/a', 'secret/data/a/b')).toBe(false);
  });
});
