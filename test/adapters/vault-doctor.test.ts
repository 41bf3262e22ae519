/**
 * Live mode with the Vault fake: the loader builds the real Vault adapter from config + environment,
 * `oncall doctor` reports sys/health, the token's TTL and policies and whether each configured secret may
 * be rotated, and the status poll fills the store's Vault status (the status bar and the K action read it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeVault, type FakeVault } from '../fakes/vault/server.js';
import { createRuntime, type Runtime } from '../../src/cli/runtime.js';
import { formatDoctor, runDoctor } from '../../src/cli/doctor.js';
import { parseConfigText } from '../../src/config/load.js';
import { vaultBadge } from '../../src/state/vault-status.js';
import { SERVICE_ACTIONS } from '../../src/screens/actions.js';

let vault: FakeVault | null = null;
let rt: Runtime | null = null;
const saved = {
  VAULT_TOKEN: process.env.VAULT_TOKEN,
  VAULT_ADDR: process.env.VAULT_ADDR,
  HOME: process.env.HOME,
};
afterEach(async () => {
  await rt?.stop();
  rt = null;
  await vault?.stop();
  vault = null;
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function live(token: string | undefined, sealed = false) {
  vault = await startFakeVault({
    sealed,
    tokens: {
      ops: { policies: ['default', 'rotator'], ttlSeconds: 7200 },
      ro: { policies: ['default', 'reader'], ttlSeconds: 7200 },
    },
    policies: {
      rotator: [
        { path: 'secret/data/payments/*', capabilities: ['read', 'update'] },
        { path: 'secret/metadata/payments/*', capabilities: ['read'] },
      ],
      reader: [{ path: 'secret/data/payments/*', capabilities: ['read'] }],
    },
  });
  vault.put('secret', 'payments/stripe', { api_key: 'x' });
  if (token === undefined) delete process.env.VAULT_TOKEN;
  else process.env.VAULT_TOKEN = token;
  delete process.env.VAULT_ADDR;
  // ~/.vault-token is looked up in $HOME: an empty one here.
  process.env.HOME = mkdtempSync(join(tmpdir(), 'oncall-home-'));
  const config = parseConfigText(
    `
vault: {addr: "${vault.url}"}
services:
  - name: payments
    secrets:
      - {vaultPath: secret/payments/stripe, keys: [api_key], kubernetesSecret: {namespace: payments, name: stripe}}
`,
    'test.yaml',
  );
  rt = await createRuntime({
    config,
    mode: 'live',
    readOnly: false,
    auditFile: join(mkdtempSync(join(tmpdir(), 'oncall-vault-doctor-')), 'audit.jsonl'),
    env: { HOME: mkdtempSync(join(tmpdir(), 'oncall-home-')) },
    intervals: { metricsMs: 60_000, healthMs: 60_000, certsMs: 60_000, clockMs: 60_000 },
  });
  const sources = await rt.start();
  await sources.refreshNow();
  return { vault, rt };
}

async function until(cond: () => boolean, what: string) {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 10));
  }
}

describe('Vault in live mode: loader, doctor, status', () => {
  it('a healthy Vault: doctor shows TTL, policies and that the secret may be rotated; the status bar shows the TTL', async () => {
    const { rt } = await live('ops');
    const out = formatDoctor(await runDoctor(rt));
    expect(out).toMatch(/^OK\s+vault\s.*auth=yes\s+actions: kv write \(cas\) on secret\/payments\/stripe$/m);
    expect(out).toMatch(/sealed=false standby=false token ttl 7\d{3}s policies default,rotator/);
    await until(() => Boolean(rt.store.getState().vault), 'the Vault status');
    const s = rt.store.getState();
    expect(vaultBadge(s.vault, s.now)).toEqual({
      text: expect.stringMatching(/^vault (2h00m|1h59m)$/),
      level: 'ok',
    });
    const k = SERVICE_ACTIONS.find((a) => a.kind === 'rotate-secret')!;
    expect(k.applies(s, 'payments')).toBeNull();
  });

  it('a sealed Vault: doctor FAILs with the reason, the status bar says SEALED, K is disabled', async () => {
    const { rt } = await live('ops', true);
    const out = formatDoctor(await runDoctor(rt));
    expect(out).toMatch(
      /^FAIL vault\s.*actions: none\n\s+Vault is SEALED \(sys\/health 503\): unseal it with `vault operator unseal`$/m,
    );
    await until(() => rt.store.getState().vault?.sealed === true, 'the sealed status');
    const s = rt.store.getState();
    expect(vaultBadge(s.vault, s.now)).toEqual({ text: 'VAULT SEALED', level: 'critical' });
    expect(SERVICE_ACTIONS.find((a) => a.kind === 'rotate-secret')!.applies(s, 'payments')).toBe(
      'Vault is sealed',
    );
  });

  it('a token without update on the path: doctor says DENIED with the capabilities', async () => {
    const { rt } = await live('ro');
    const out = formatDoctor(await runDoctor(rt));
    expect(out).toMatch(/actions: kv write DENIED on secret\/payments\/stripe \(read\)/);
  });

  it('no token anywhere: the source fails with the reason and doctor shows it', async () => {
    const { rt } = await live(undefined);
    const out = formatDoctor(await runDoctor(rt));
    expect(out).toMatch(/^FAIL vault\s.*\n\s+no Vault token: set VAULT_TOKEN or run `vault login`/m);
    expect(rt.store.getState().sources.secrets.error).toMatch(/^no Vault token/);
  });
});

describe('the status bar note', () => {
  const base = { sealed: false, standby: false, initialized: true, policies: [], at: 0, error: null };
  it('counts the TTL down from when it was read, warns under 10 minutes, and says when it expired', () => {
    expect(vaultBadge({ ...base, ttlSeconds: 7200 }, 60_000)).toEqual({ text: 'vault 1h59m', level: 'ok' });
    expect(vaultBadge({ ...base, ttlSeconds: 3 * 86_400 }, 0)).toEqual({ text: 'vault 3d0h', level: 'ok' });
    expect(vaultBadge({ ...base, standby: true, ttlSeconds: 900 }, 0)).toEqual({
      text: 'vault standby 15m',
      level: 'ok',
    });
    expect(vaultBadge({ ...base, ttlSeconds: 900 }, 400_000)).toEqual({
      text: 'Vault token 8m left',
      level: 'warning',
    });
    expect(vaultBadge({ ...base, ttlSeconds: 60 }, 60_000)).toEqual({
      text: 'Vault token EXPIRED',
      level: 'critical',
    });
    expect(vaultBadge({ ...base, ttlSeconds: 0 }, 0)).toEqual({ text: 'vault ok', level: 'ok' });
    expect(vaultBadge({ ...base, sealed: true, ttlSeconds: null }, 0)).toEqual({
      text: 'VAULT SEALED',
      level: 'critical',
    });
    expect(
      vaultBadge({ ...base, ttlSeconds: null, error: 'connect ECONNREFUSED 127.0.0.1:8200' }, 0),
    ).toEqual({
      text: 'Vault: connect ECONNREFUSED 127.0.0.1:8200',
      level: 'warning',
    });
    expect(vaultBadge(null, 0)).toBeNull();
  });
});
