/** Finds, parses and validates the config file. Errors name file:line:column, the field and what was expected. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigSearch {
  flag?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The first config file found: --config, $ONCALL_CONFIG, ./oncall.yaml, $XDG_CONFIG_HOME/oncall/config.yaml. */
export function findConfigFile({
  flag,
  env = process.env,
  cwd = process.cwd(),
}: ConfigSearch): string | undefined {
  if (flag) return flag;
  if (env.ONCALL_CONFIG) return env.ONCALL_CONFIG;
  const local = join(cwd, 'oncall.yaml');
  if (existsSync(local)) return local;
  const xdg = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  const user = join(xdg, 'oncall', 'config.yaml');
  return existsSync(user) ? user : undefined;
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    throw new ConfigError(
      `${file}:${pos.line}:${pos.col}: YAML syntax error: ${firstError.message.split('\n')[0]}`,
      file,
      pos.line,
      pos.col,
    );
  }
  const raw: unknown = doc.toJS();
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  // Find the closest node that exists for the failing path (a missing key points at its parent).
  let path = issue.path.slice();
  let node: unknown = undefined;
  while (path.length > 0) {
    node = doc.getIn(path as unknown[], true);
    if (isNode(node) || (node && typeof node === 'object' && 'range' in node)) break;
    path = path.slice(0, -1);
  }
  const offset = isNode(node) && node.range ? node.range[0] : (doc.contents?.range?.[0] ?? 0);
  const pos = lineCounter.linePos(offset);
  const field = formatPath(issue.path) || '(top level)';
  throw new ConfigError(
    `${file}:${pos.line}:${pos.col}: ${field}: ${issue.message}`,
    file,
    pos.line,
    pos.col,
  );
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config: ${(err as Error).message}`, file);
  }
  return parseConfigText(text, file);
}
