// Builds `oncall` for fast start-up (see /work/shared/PERFORMANCE.md and issue 12):
//   dist/oncall-app.cjs  one CommonJS bundle of bin/oncall.ts (CJS loads ~20 ms faster than an ESM bundle);
//   dist/oncall.cjs      the `bin` (scripts/launcher.cjs): loads the bundle with a V8 code cache
//                        (the cache only covers modules loaded after it is enabled, hence two files);
//   dist/oncall.mjs      a compatibility shim for callers that still run the old path.
// Ink's layout engine (yoga-layout) normally loads with top-level await (50–60 ms, and esbuild refuses
// TLA in CJS): it is replaced by a module that instantiates the embedded wasm synchronously on first use.
// Ink's development-only top-level awaits (devtools, reading its package.json) are compiled out.
// Backend libraries stay behind dynamic import() (lazy module wrappers): parsed, never evaluated,
// until a configured adapter asks for them after the first frame.
import { build } from 'esbuild';
import { readFileSync, writeFileSync, chmodSync, mkdirSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Keep: fixes Ink 6.8's off-by-one cursor in incremental rendering (see the module; test/e2e checks it).
import { inkFixes } from './esbuild-ink-fixes.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const requireFromRoot = createRequire(join(root, 'package.json'));

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

/** Ink's reconciler awaits at top level only when DEV=true (devtools, its own package.json): drop both. */
const inkNoTopLevelAwait = {
  name: 'ink-no-top-level-await',
  setup(b) {
    b.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, (args) => {
      let src = readFileSync(args.path, 'utf8');
      const before = src;
      src = src.replace(/await import\(['"]\.\/devtools\.js['"]\);/, "void 'devtools are not bundled';");
      src = src.replace(
        /async function loadPackageJson\(\) \{[\s\S]*?\n\}\n/,
        "function loadPackageJson() { return { name: 'ink', version: undefined }; }\n",
      );
      src = src.replace(/\?\s*await loadPackageJson\(\)/, '? loadPackageJson()');
      if (
        src === before ||
        src.includes("import('./devtools.js')") ||
        src.includes('await loadPackageJson')
      ) {
        // Fail loudly when Ink changes shape (esbuild would also refuse the top-level await in CJS).
        throw new Error(`ink-no-top-level-await: ${args.path} no longer matches the expected shape`);
      }
      return { contents: src, loader: 'js' };
    });
  },
};

/**
 * `import Yoga from 'yoga-layout'` → a lazy object: the first property read instantiates the embedded
 * wasm with `new WebAssembly.Module/Instance` through emscripten's `instantiateWasm` hook (synchronous),
 * runs the emscripten start-up (also synchronous once the instance exists) and wraps it like the stock
 * entry does, so Ink sees the same `Yoga` API. The enums are re-exported unchanged.
 */
const yogaSync = {
  name: 'yoga-sync',
  setup(b) {
    const dist = dirname(requireFromRoot.resolve('yoga-layout'));
    const binPath = join(dist, '..', 'binaries', 'yoga-wasm-base64-esm.js');
    b.onResolve({ filter: /^yoga-layout$/ }, () => ({ path: 'yoga-layout-sync', namespace: 'yoga' }));
    b.onResolve({ filter: /^yoga-emscripten$/, namespace: 'yoga' }, () => ({ path: binPath }));
    b.onLoad({ filter: /yoga-wasm-base64-esm\.js$/ }, (args) => {
      let src = readFileSync(args.path, 'utf8');
      const m = /H="data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/.exec(src);
      if (!m) throw new Error('yoga-sync: embedded wasm not found in yoga-layout (version changed?)');
      // Keep one copy of the base64: the emscripten code reads it through the exported constant.
      src = src.replace(m[0], 'H="data:application/octet-stream;base64,"+YOGA_WASM_BASE64');
      src = src.replace('var _scriptDir = import.meta.url;', 'var _scriptDir = "";');
      src = `const YOGA_WASM_BASE64 = ${JSON.stringify(m[1])};\nexport { YOGA_WASM_BASE64 };\n${src}`;
      if (src.includes('import.meta')) throw new Error('yoga-sync: unexpected import.meta in yoga-layout');
      return { contents: src, loader: 'js' };
    });
    b.onLoad({ filter: /.*/, namespace: 'yoga' }, () => ({
      resolveDir: dist,
      loader: 'js',
      contents: `
import factory, { YOGA_WASM_BASE64 } from 'yoga-emscripten';
import wrapAssembly from './wrapAssembly.js';
export * from './generated/YGEnums.js';
let yoga = null;
function loadYogaSync() {
  const bytes = Buffer.from(YOGA_WASM_BASE64, 'base64');
  const mod = {
    instantiateWasm(imports, receive) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
      receive(instance);
      return instance.exports;
    },
  };
  factory(mod).catch((err) => process.stderr.write('oncall: layout engine: ' + err.message + '\\n'));
  if (!mod.calledRun) throw new Error('layout engine did not start synchronously');
  return wrapAssembly(mod);
}
const Yoga = new Proxy({}, {
  get(_, key) {
    if (yoga === null) yoga = loadYogaSync();
    return yoga[key];
  },
  has(_, key) {
    if (yoga === null) yoga = loadYogaSync();
    return key in yoga;
  },
});
export default Yoga;
`,
    }));
  },
};

/**
 * zod's `z` namespace re-exports every message locale (~390 KB of the bundle, 60+ languages); oncall
 * uses English messages only (zod registers `en` itself), so the locale index keeps `en` alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      if (!src.includes('export { default as en } from "./en.js";')) {
        throw new Error(`zod-english-only: ${args.path} changed upstream; re-check the locale index`);
      }
      return { contents: 'export { default as en } from "./en.js";\n', loader: 'js' };
    });
  },
};

/**
 * string-width 8 tests every non-ASCII grapheme against /^\p{RGI_Emoji}$/v. V8 compiles that pattern (every
 * RGI emoji sequence) on first use: 30–65 ms on the first frame, which draws ›, –, ✓ and ×. A one-code-point
 * string is an RGI emoji only if it has Emoji_Presentation (checked over all code points on Node 20 and 22:
 * 1,193 such members, none without it), so single code points without it skip the big pattern; clusters of
 * several code points still take the full test. Widths are unchanged.
 */
const stringWidthEmojiFastPath = {
  name: 'string-width-emoji-fast-path',
  setup(b) {
    const LINE = 'if (rgiEmojiRegex.test(segment) || isDoubleWidthNonRgiEmojiSequence(segment)) {';
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      if (!src.includes('const rgiEmojiRegex')) return undefined; // other versions do not use it
      if (!src.includes(LINE)) {
        throw new Error(
          `string-width-emoji-fast-path: ${args.path} changed upstream; re-check the emoji test`,
        );
      }
      const helper = [
        'const oncallEmojiPresentation = /\\p{Emoji_Presentation}/u;',
        'function oncallMayBeRgiEmoji(segment) {',
        '  const single = segment.length === (segment.codePointAt(0) > 0xffff ? 2 : 1);',
        '  return !single || oncallEmojiPresentation.test(segment);',
        '}',
        '',
      ].join('\n');
      let patched = src.replace(
        LINE,
        'if ((oncallMayBeRgiEmoji(segment) && rgiEmojiRegex.test(segment)) || isDoubleWidthNonRgiEmojiSequence(segment)) {',
      );
      // Also the lazy segmenter (see LAZY_SEGMENTER): one onLoad per file, so both patches live here.
      // The pattern itself is built only when first needed: constructing it (esbuild emits new RegExp for
      // /v literals) expands every RGI emoji sequence, ~15 ms at module load.
      const RGI = 'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;';
      if (!patched.includes(RGI))
        throw new Error(`string-width-emoji-fast-path: ${args.path} changed upstream`);
      patched = patched.replace(
        RGI,
        () =>
          "let oncallRgi;\nconst rgiEmojiRegex = { test: (s) => (oncallRgi ??= new RegExp('^\\\\p{RGI_Emoji}$', 'v')).test(s) };",
      );
      const SEG = 'const segmenter = new Intl.Segmenter();';
      if (!patched.includes(SEG)) throw new Error(`lazy-segmenter: ${args.path} changed upstream`);
      return {
        contents: `${LAZY_SEGMENTER}\n${helper}${patched.replace(SEG, 'const segmenter = oncallLazySegmenter();')}`,
        loader: 'js',
      };
    });
  },
};

/**
 * tr46/whatwg-url (under @kubernetes/client-node) require Node's built-in `punycode`, deprecated since Node
 * 21: Node 22 prints a DeprecationWarning on stderr, over the TUI. The userland package of the same name and
 * API (already installed) is bundled instead.
 */
const userlandPunycode = {
  name: 'userland-punycode',
  setup(b) {
    const file = join(root, 'node_modules', 'punycode', 'punycode.js');
    b.onResolve({ filter: /^(node:)?punycode$/ }, () => ({ path: file }));
  },
};

/**
 * Ink's text path creates three Intl.Segmenter objects at module load (string-width, slice-ansi,
 * @alcalzone/ansi-tokenize); the first one loads ICU's break-iterator data: ~10 ms (more under load) before
 * the first frame. For text made only of characters that are always a grapheme of their own (printable
 * ASCII, ESC, Latin-1/Latin Extended, general punctuation, arrows, box drawing, blocks, symbols, dingbats:
 * Grapheme_Cluster_Break Other or Control, no CR) grapheme segmentation is one code unit per segment, so
 * those strings are walked directly; anything else (combining marks, emoji sequences, Hangul, CJK...)
 * goes to a real Intl.Segmenter, created on first need. test/build/lazy-segmenter.test.ts checks both paths
 * against Intl.Segmenter.
 */
export const LAZY_SEGMENTER = `
const ONCALL_SIMPLE_TEXT = /^[\\x1b\\x20-\\x7e\\u00a0-\\u02ff\\u2010-\\u2027\\u2030-\\u205e\\u2190-\\u2bff]*$/;
function oncallLazySegmenter(locales, options) {
  let real;
  return {
    segment(str) {
      if (!ONCALL_SIMPLE_TEXT.test(str)) return (real ??= new Intl.Segmenter(locales, options)).segment(str);
      return {
        *[Symbol.iterator]() {
          for (let i = 0; i < str.length; i++) yield { segment: str[i], index: i, input: str };
        },
        containing(at) {
          const i = Math.trunc(Number(at) || 0);
          return i >= 0 && i < str.length ? { segment: str[i], index: i, input: str } : undefined;
        },
      };
    },
  };
}
`;
const lazySegmenter = {
  name: 'lazy-segmenter',
  setup(b) {
    const targets = [
      [
        /[\\/]slice-ansi[\\/]tokenize-ansi\.js$/,
        "const GRAPHEME_SEGMENTER = new Intl.Segmenter(undefined, {granularity: 'grapheme'});",
        "const GRAPHEME_SEGMENTER = oncallLazySegmenter(undefined, {granularity: 'grapheme'});",
      ],
      [
        /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize\.js$/,
        'const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });',
        'const segmenter = oncallLazySegmenter(undefined, { granularity: "grapheme" });',
      ],
    ];
    for (const [filter, from, to] of targets) {
      b.onLoad({ filter }, (args) => {
        let src = readFileSync(args.path, 'utf8');
        if (!src.includes(from)) {
          if (!src.includes('Intl.Segmenter')) return undefined;
          throw new Error(`lazy-segmenter: ${args.path} changed upstream; re-check its segmenter`);
        }
        src = src.replace(from, to);
        return { contents: `${LAZY_SEGMENTER}\n${src}`, loader: 'js' };
      });
    }
  },
};

/**
 * wrap-ansi (used by Ink to wrap text) carries its own string-width 7, which builds the whole emoji-regex
 * for every non-ASCII character and creates a second segmenter at load. Ink measures with string-width 8:
 * wrapping with the same function keeps measuring and wrapping consistent and drops the second copy.
 */
const oneStringWidth = {
  name: 'one-string-width',
  setup(b) {
    const top = requireFromRoot.resolve('string-width');
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      /[\\/]wrap-ansi[\\/]/.test(args.importer) ? { path: top } : undefined,
    );
  },
};

export const plugins = [
  stubDevtools,
  inkNoTopLevelAwait,
  yogaSync,
  inkFixes,
  zodEnglishOnly,
  stringWidthEmojiFastPath,
  oneStringWidth,
  userlandPunycode,
  lazySegmenter,
];

/**
 * Backend libraries (every dependency not needed for the first frame) are kept out of the main bundle:
 * V8 must read and pre-parse every byte of the bundle before the first frame, and these libraries are
 * ~6 MB of the 8 MB. Each is bundled on its own into dist/vendor/<name>.cjs, required only when an
 * adapter that imports it is loaded (after the first frame). The SEA build inlines them instead.
 */
const FIRST_FRAME_PACKAGES = new Set(['ink', 'ink-select-input', 'react', 'yaml', 'zod', 'zustand']);
export const backendPackages = Object.keys(pkg.dependencies ?? {}).filter(
  (p) => !FIRST_FRAME_PACKAGES.has(p),
);
const vendorName = (spec) => `${spec.replace(/\//g, '+')}.cjs`;
const vendorUsed = new Set();
const vendorSplit = {
  name: 'vendor-split',
  setup(b) {
    const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^(?:${backendPackages.map(esc).join('|')})(?:/.*)?$`);
    b.onResolve({ filter: re }, (args) => {
      // The libraries' own imports of each other are bundled inside their vendor file.
      if (/[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
      vendorUsed.add(args.path);
      return { path: `./vendor/${vendorName(args.path)}`, external: true };
    });
  },
};

/**
 * The same split for the single executable, whose main script can only require built-in modules: each
 * backend library is an SEA asset (`<name>.cjs`), compiled from the executable when first required.
 */
const vendorSeaAssets = {
  name: 'vendor-sea-assets',
  setup(b) {
    const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^(?:${backendPackages.map(esc).join('|')})(?:/.*)?$`);
    b.onResolve({ filter: re }, (args) => {
      if (/[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
      vendorUsed.add(args.path);
      return { path: vendorName(args.path), namespace: 'sea-vendor' };
    });
    b.onLoad({ filter: /.*/, namespace: 'sea-vendor' }, (args) => ({
      loader: 'js',
      contents: `
const Module = require('node:module');
const name = ${JSON.stringify(args.path)};
const source = require('node:sea').getAsset(name, 'utf8');
const m = new Module('oncall-sea:vendor/' + name, module);
m.filename = 'oncall-sea:vendor/' + name;
m.paths = [];
m._compile(source, m.filename);
module.exports = m.exports;
`,
    }));
  },
};

export function usedVendors() {
  return [...vendorUsed].map((spec) => vendorName(spec));
}

export async function buildVendors(outdir) {
  mkdirSync(outdir, { recursive: true });
  for (const spec of vendorUsed) {
    await build({
      absWorkingDir: root,
      stdin: {
        contents: `module.exports = require(${JSON.stringify(spec)});`,
        resolveDir: root,
        loader: 'js',
      },
      outfile: join(outdir, vendorName(spec)),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['*.node'],
      minifyWhitespace: true,
      minifySyntax: true,
      plugins: [userlandPunycode],
      define,
      legalComments: 'none',
      logLevel: 'warning',
    });
  }
}
export const define = {
  __ONCALL_VERSION__: JSON.stringify(pkg.version),
  // Identifies this build (the config cache is only trusted for the build that wrote it).
  __ONCALL_BUILD_ID__: JSON.stringify(`${pkg.version}-${Date.now().toString(36)}`),
  'process.env.NODE_ENV': '"production"',
};

/** The single-file CommonJS bundle (also the SEA's main script). */
export async function buildBundle({
  entry = 'bin/oncall.ts',
  outfile,
  minify = true,
  vendor = true,
  prePlugins = [],
  extraPlugins = [],
  banner,
} = {}) {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Optional native add-ons (ssh2's crypto, cpu-features under dockerode) stay out: their requires fail
    // and those libraries fall back to their JavaScript code paths, as they do without a compiler.
    external: ['*.node'],
    // import() of a vendor file becomes require(): the CommonJS loader, no ESM loader start-up.
    supported: { 'dynamic-import': false },
    // Whitespace and syntax only (~30% fewer bytes to read and pre-parse before the first frame, measured
    // ~70 ms on the 2-core machine); identifiers keep their names so stack traces stay readable.
    minifyWhitespace: minify,
    minifySyntax: minify,
    sourcemap: false,
    legalComments: 'none',
    define,
    // prePlugins resolve before the vendor split; extraPlugins load after the fixes (they see the rest).
    plugins: [
      ...prePlugins,
      ...(vendor === 'sea' ? [vendorSeaAssets] : vendor ? [vendorSplit] : []),
      ...plugins,
      ...extraPlugins,
    ],
    ...(banner ? { banner: { js: banner } } : {}),
    logLevel: 'warning',
  });
}

/**
 * Bench-only: appends `globalThis.__oncallTrace?.(package)` to every file from node_modules, so a run can
 * report which packages were evaluated before its first frame (the shipped bundle has none of this).
 */
const traceModules = {
  name: 'trace-modules',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.(c|m)?js$/ }, (args) => {
      const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/.exec(
        args.path,
      );
      const name = m ? m[1].replace(/\\/g, '/') : 'unknown';
      const src = readFileSync(args.path, 'utf8');
      return { contents: `${src}\n;globalThis.__oncallTrace?.(${JSON.stringify(name)});\n`, loader: 'js' };
    });
  },
};
const TRACE_BANNER = `
const __oncallSeen = new Map();
globalThis.__oncallTrace = (p) => { if (!__oncallSeen.has(p)) __oncallSeen.set(p, performance.now()); };
{
  const marker = process.env.ONCALL_TRACE_MARKER;
  const file = process.env.ONCALL_TRACE_FILE;
  const write = process.stdout.write.bind(process.stdout);
  let frameAt = null;
  let atFrame = null;
  let frameMemory = null;
  process.stdout.write = (chunk, ...rest) => {
    if (atFrame === null && marker && String(chunk).includes(marker)) {
      frameAt = performance.now();
      frameMemory = process.memoryUsage();
      atFrame = [...__oncallSeen.keys()];
    }
    return write(chunk, ...rest);
  };
  // Backend libraries live in dist/vendor/*.cjs: record when one is required.
  const Module = require('node:module');
  const req = Module.prototype.require;
  Module.prototype.require = function (id) {
    const m = /vendor[\\\\/](.+)\\.cjs$/.exec(id);
    if (m) globalThis.__oncallTrace(m[1].replace(/\\+/g, '/'));
    return req.apply(this, arguments);
  };
  process.on('exit', () => {
    if (file) require('node:fs').writeFileSync(file, JSON.stringify({ frameAt, frameMemory, atFrame, all: [...__oncallSeen] }));
  });
}
`;

/** Everything `npm run bench` runs: the bench itself, its child fixtures, a traced and an unbundled build. */
async function buildBench() {
  await build({
    absWorkingDir: root,
    entryPoints: ['bench/run.ts'],
    outfile: join(root, 'dist', 'bench.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    jsx: 'automatic',
    define,
    logLevel: 'warning',
  });
  await buildBundle({
    entry: 'bench/fixtures/render-child.tsx',
    outfile: join(root, 'dist', 'bench-render-child.cjs'),
  });
  await buildBundle({
    outfile: join(root, 'dist', 'bench-oncall-trace.cjs'),
    extraPlugins: [traceModules],
    banner: TRACE_BANNER,
  });
  await buildVendors(join(root, 'dist', 'vendor'));
  // The unbundled build: every source file transpiled on its own; packages load from node_modules.
  const { readdirSync, statSync } = await import('node:fs');
  const files = [];
  const walk = (d) => {
    for (const f of readdirSync(join(root, d))) {
      const rel = join(d, f);
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (/\.tsx?$/.test(f) && !f.endsWith('.d.ts')) files.push(rel);
    }
  };
  walk('src');
  walk('bin');
  await build({
    absWorkingDir: root,
    entryPoints: files,
    outdir: join(root, 'dist', 'unbundled'),
    outbase: '.',
    bundle: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    jsx: 'automatic',
    define,
    logLevel: 'warning',
  });
}

async function main() {
  const dist = join(root, 'dist');
  mkdirSync(dist, { recursive: true });
  await buildBundle({ outfile: join(dist, 'oncall-app.cjs') });
  await buildVendors(join(dist, 'vendor'));
  const launcher = join(dist, 'oncall.cjs');
  copyFileSync(join(root, 'scripts', 'launcher.cjs'), launcher);
  chmodSync(launcher, 0o755);
  const shim = join(dist, 'oncall.mjs');
  writeFileSync(
    shim,
    "#!/usr/bin/env node\n// Compatibility: the bin is dist/oncall.cjs.\nimport './oncall.cjs';\n",
  );
  chmodSync(shim, 0o755);
  if (process.argv.includes('--bench')) await buildBench();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
