/**
 * Builds the Vault adapter from the config and the environment Vault's own CLI uses:
 *   address    config vault.addr, else VAULT_ADDR
 *   token      VAULT_TOKEN, else ~/.vault-token (what `vault login` writes)
 *   namespace  config vault.namespace, else VAULT_NAMESPACE
 *   TLS        VAULT_CACERT (a PEM file), VAULT_SKIP_VERIFY
 * The mutating half is built only when not read-only.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import type { SecretStoreMutatePort, SecretStoreReadPort } from '../ports.js';
import type { VaultAdapterOptions } from './index.js';

export function vaultOptionsFrom(
  config: Pick<Config, 'vault'>,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): VaultAdapterOptions {
  const addr = config.vault?.addr ?? env.VAULT_ADDR;
  if (!addr) throw new Error('no Vault address: set vault.addr in the config or VAULT_ADDR');
  let token = env.VAULT_TOKEN?.trim();
  if (!token) {
    const file = join(home, '.vault-token');
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        `no Vault token: set VAULT_TOKEN or run \`vault login\` (${file}: ${code === 'ENOENT' ? 'missing' : code})`,
      );
    }
    if (!token) throw new Error(`no Vault token: ${file} is empty; set VAULT_TOKEN or run \`vault login\``);
  }
  let caCert: string | undefined;
  if (env.VAULT_CACERT) {
    try {
      caCert = readFileSync(env.VAULT_CACERT, 'utf8');
    } catch (err) {
      throw new Error(`VAULT_CACERT ${env.VAULT_CACERT}: ${(err as Error).message}`);
    }
  }
  const skip = (env.VAULT_SKIP_VERIFY ?? '').toLowerCase();
  return {
    addr,
    token,
    namespace: config.vault?.namespace ?? (env.VAULT_NAMESPACE || undefined),
    caCert,
    skipVerify: skip !== '' && skip !== '0' && skip !== 'false',
  };
}

export async function loadVault(
  config: Pick<Config, 'vault'>,
  opts: { readOnly: boolean; env?: NodeJS.ProcessEnv; home?: string },
): Promise<{ read: SecretStoreReadPort; mutate: SecretStoreMutatePort | null }> {
  const { createVaultAdapter } = await import('./index.js');
  const v = await createVaultAdapter(vaultOptionsFrom(config, opts.env, opts.home));
  return { read: v.read, mutate: opts.readOnly ? null : v.mutate };
}
