// Import boundaries (ARCHITECTURE.md):
//  - screens and components never import adapters (ports' types excepted) or the sandbox;
//  - src/domain imports no I/O (node: modules, adapters, state, undici, ...);
//  - only the policy gate (and the code that constructs ports for it) reaches a mutating port:
//    the mutating port factories may be imported only by the runtime/loader.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|tsx)$/.test(n) ? [p] : [];
  });
}
const files = walk(join(root, 'src'));
const problems = [];
const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of files) {
  const rel = relative(root, file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    const line = text.slice(0, m.index).split('\n').length;
    const target = spec.startsWith('.') ? relative(root, resolve(dirname(file), spec)) : spec;
    const where = `${rel}:${line}`;
    if (/^src\/(screens|components|hooks)\//.test(rel)) {
      if (/^src\/adapters\//.test(target) && !/^src\/adapters\/ports(\.js)?$/.test(target))
        problems.push(`${where}: UI imports an adapter (${spec})`);
      if (/^src\/sandbox\//.test(target)) problems.push(`${where}: UI imports the sandbox (${spec})`);
      if (/^(undici|dockerode|node-vault|@kubernetes\/client-node)/.test(target))
        problems.push(`${where}: UI imports a backend library (${spec})`);
    }
    if (/^src\/domain\//.test(rel)) {
      if (/^node:|^(fs|net|tls|http|https|child_process)$/.test(spec))
        problems.push(`${where}: domain imports I/O (${spec})`);
      if (/^src\/(adapters|state|sandbox|cli|audit|policy|procedures|screens)\//.test(target))
        problems.push(`${where}: domain imports ${target}`);
      if (/^(undici|dockerode|node-vault|@kubernetes\/client-node|ink|react)/.test(spec))
        problems.push(`${where}: domain imports ${spec}`);
    }
    // Mutating port factories: only the runtime (which hands them to the gate) and tests may import them.
    if (/^src\/sandbox\/ports(\.js)?$/.test(target) || /^src\/adapters\/[^/]+\/mutate(\.js)?$/.test(target)) {
      if (!/^src\/(cli\/runtime|adapters\/load)\.ts$/.test(rel) && !/^src\/adapters\/[^/]+\//.test(rel)) {
        problems.push(`${where}: only the runtime may construct mutating ports for the gate (${spec})`);
      }
    }
  }
  // Procedures reach mutations only through the gate: they must not import port factories or call mutators directly.
  if (
    /^src\/(screens|components|hooks|state)\//.test(rel) &&
    /\.(rollback|scale|restart|setPaused|recreateWithImage|write)\(\s*ref|MutatePorts/.test(text)
  ) {
    problems.push(`${rel}: UI/state code mentions a mutating port`);
  }
}
if (problems.length) {
  console.error(`import boundaries: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`import boundaries: ${files.length} files OK`);
