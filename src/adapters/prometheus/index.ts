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
import { planSlo } from './queries.js';

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

/**
 * Checks every service's SLO queries before the first refresh, so a typo is reported with the service
 * it belongs to instead of failing every refresh for all services.
 */
export function checkSloQueries(services: Config['services']): void {
  for (const svc of services) {
    const slo = svc.slo;
    if (!slo) continue;
    const where = `services.${svc.name}.slo`;
    for (const field of ['errorQuery', 'totalQuery'] as const) {
      const q = slo[field];
      if (q !== undefined && !q.includes('$window'))
        throw new Error(
          `${where}.${field}: must use $window for the range (e.g. rate(x[$window])), got "${q}"`,
        );
    }
    try {
      planSlo([{ service: svc.name, slo }], 'availability').expr('60s');
      planSlo([{ service: svc.name, slo }], 'latency').expr('60s');
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }
}

export async function createPrometheusMetrics(
  config: Pick<Config, 'prometheus' | 'services'>,
  extra: Partial<PrometheusClientOptions> = {},
): Promise<MetricsReadPort & { client: PrometheusClient }> {
  const p = config.prometheus;
  if (!p) throw new Error('prometheus is not configured');
  checkSloQueries(config.services);
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
