// Bundles bin/oncall.ts into one file. react-devtools-core (an optional Ink import) is stubbed.
// Heavy adapter libraries stay behind dynamic import() so they load only when configured.
import { build } from 'esbuild';
import { readFileSync, chmodSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const stubDevtools = {
  name: 'stub-react-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: 'react-devtools-core',
      namespace: 'stub',
    }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} };',
      loader: 'js',
    }));
  },
};

const outfile = process.argv[2] ?? 'dist/oncall.mjs';
await build({
  entryPoints: ['bin/oncall.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: false,
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  define: { __ONCALL_VERSION__: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  banner: {
    js: "import { createRequire as __oncallCreateRequire } from 'node:module'; const require = __oncallCreateRequire(import.meta.url);",
  },
  plugins: [stubDevtools],
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
