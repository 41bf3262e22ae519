// `npm run build:sea`: a single executable (Node SEA) for hosts without Node, e.g. a bastion:
//   dist/oncall-sea   the running Node binary with the whole app injected (~100 MB: it is Node itself).
// The SEA's main script can require only Node's built-in modules, so the backend libraries are embedded
// as SEA assets and compiled from there when an adapter first needs them. V8's code cache is embedded
// (useCodeCache). useSnapshot is not used: a startup snapshot of this app does not build
// (Intl.Segmenter created at module load by string-width / slice-ansi / ansi-tokenize aborts the build
// with "global handle not serialized", WebAssembly is unavailable while building, and Ink's console and
// chalk's colour detection are frozen at build time; see /work/shared/PERFORMANCE.md).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, buildVendors, usedVendors } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'dist', 'sea');
const exe = join(root, 'dist', 'oncall-sea');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 18)) {
  throw new Error(`build:sea needs Node ≥ 20.18 (this is ${process.version})`);
}

mkdirSync(work, { recursive: true });
const main = join(work, 'oncall-sea.cjs');
// Native add-ons and absent optional packages cannot load from inside the executable: their optional
// requires (ssh2, cpu-features, ws, undici, debug) fail as they would without them, and without the SEA's
// "only built-in modules" warning on stderr (it would land on the TUI).
const noNativeAddons = {
  name: 'no-native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'no-native' }));
    // Optional packages the libraries try to require (absent here, or not built into Node 20).
    b.onResolve({ filter: /^(supports-color|encoding|bufferutil|utf-8-validate|node:sqlite)$/ }, (args) => ({
      path: args.path,
      namespace: 'no-native',
    }));
    b.onLoad({ filter: /.*/, namespace: 'no-native' }, (args) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`native add-on ${args.path} is not available in the single executable`)}), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};
await buildBundle({ outfile: main, vendor: 'sea', prePlugins: [noNativeAddons] });
// Backend libraries ride along as assets and are compiled only when an adapter needs them (after the
// first frame), like dist/vendor/*.cjs for the plain bundle.
await buildVendors(join(work, 'vendor'));
const assets = Object.fromEntries(usedVendors().map((name) => [name, join(work, 'vendor', name)]));
const blob = join(work, 'sea-prep.blob');
const seaConfig = join(work, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify(
    {
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      useSnapshot: false,
      assets,
    },
    null,
    2,
  ),
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });
rmSync(exe, { force: true });
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', 'postject', 'dist', 'cli.js'),
    exe,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
process.stdout.write(`built ${exe} (Node ${process.version}, code cache embedded)\n`);
