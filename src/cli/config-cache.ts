/**
 * Start-up cache of the validated configuration. Parsing YAML and validating it costs 30–90 ms of a cold
 * process (the YAML lexer runs interpreted before V8 has optimised anything): most of the budget for the
 * first frame. The result of a successful validation is kept in $XDG_CACHE_HOME/oncall (0700) together
 * with the exact text it came from and the build that validated it; a later start uses it only when the
 * file's text and the build are byte-for-byte the same, so it can never disagree with a fresh parse.
 * Only bundled builds (which define a build id) use it; tests and `config check` always parse.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';

declare const __ONCALL_BUILD_ID__: string | undefined;
const BUILD_ID: string | null = typeof __ONCALL_BUILD_ID__ === 'string' ? __ONCALL_BUILD_ID__ : null;

interface CacheEntry {
  build: string;
  file: string;
  text: string;
  config: Config;
}

function cacheFileFor(file: string, env: NodeJS.ProcessEnv): string {
  const home = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  // A short, stable name per config path (FNV-1a): the entry itself records the full path and text.
  let h = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) {
    h ^= file.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return join(home, 'oncall', `config-${h.toString(16).padStart(8, '0')}.json`);
}

/** Why the last cache read or write failed (for `doctor`-style reporting); null when it worked. */
export let cacheProblem: string | null = null;

export function configCacheEnabled(env: NodeJS.ProcessEnv): boolean {
  return BUILD_ID !== null && !env.ONCALL_NO_CACHE;
}

/**
 * Returns the validated config for `file`: from the cache when its text is unchanged, else from
 * `parse(text)` (which throws located errors), storing a successful result.
 */
export function loadConfigCached(
  file: string,
  env: NodeJS.ProcessEnv,
  read: (file: string) => string,
  parse: (text: string, file: string) => Config,
): Config {
  const text = read(file);
  if (BUILD_ID === null || env.ONCALL_NO_CACHE) return parse(text, file);
  const build = BUILD_ID;
  const path = resolve(file);
  const cacheFile = cacheFileFor(path, env);
  let entry: CacheEntry | null = null;
  try {
    entry = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheEntry;
  } catch (err) {
    // Missing or unreadable cache: parse as if there were none (it is rewritten below).
    cacheProblem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : (err as Error).message;
  }
  if (entry && entry.build === build && entry.file === path && entry.text === text) return entry.config;
  const config = parse(text, file);
  try {
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ build, file: path, text, config } satisfies CacheEntry), {
      mode: 0o600,
    });
    renameSync(tmp, cacheFile);
  } catch (err) {
    // The cache is an optimisation; a read-only home must not stop oncall. Next start parses again.
    cacheProblem = (err as Error).message;
  }
  return config;
}
