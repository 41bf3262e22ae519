/**
 * Entry point loaded with dynamic import() by src/adapters/load.ts when the config has `prometheus:`.
 * Reads credential files here (never logged), builds one client (keep-alive pool) and the metrics port.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../../config/schema.js';
import { parseDuration } from '../../domain/slo.js';
import type { MetricsReadPort } from '../ports.js';
import { PrometheusClient, type PrometheusClientOptions } from './client.js';
import { createMetricsPort } from './metrics.js';

export { PrometheusClient, PrometheusError } from './client.js';
export { createMetricsPort } from './metrics.js';

async function readSecretFile(field: string, path: string): Promise<string> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (!text) throw new Error('file is empty');
    return text;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`prometheus.${field}: cannot read ${path}: ${e.code ?? e.message}`);
  }
}

export async function createPrometheusMetrics(
  config: Pick<Config, 'prometheus' | 'services'>,
  extra: Partial<PrometheusClientOptions> = {},
): Promise<MetricsReadPort & { client: PrometheusClient }> {
  const p = config.prometheus;
  if (!p) throw new Error('prometheus is not configured');
  const opts: PrometheusClientOptions = {
    url: p.url,
    timeoutMs: parseDuration(p.timeout) * 1000,
    ...extra,
  };
  if (p.bearerTokenFile) opts.bearerToken = await readSecretFile('bearerTokenFile', p.bearerTokenFile);
  if (p.basicAuth)
    opts.basicAuth = {
      username: p.basicAuth.username,
      password: await readSecretFile('basicAuth.passwordFile', p.basicAuth.passwordFile),
    };
  if (p.caFile) opts.ca = await readSecretFile('caFile', p.caFile);
  const client = new PrometheusClient(opts);
  return createMetricsPort(client, { services: config.services });
}
