/**
 * Bundles the command line into dist/cli/main.js and a few chunks beside it, after `tsc` has
 * built dist/. A `fleetsim` process then reads a handful of files instead of several hundred
 * modules (its own, zod's, yaml's, yargs'), which is most of what a short run used to wait for.
 * Each command stays a chunk of its own, loaded when it runs. The worker threads of sweeps, plans
 * and replications get the same: dist/plan/worker.js, which tsc built as one module of hundreds,
 * is replaced by a bundle of its own (with `worker-*.js` chunks beside it); each thread loaded
 * the modules on its own, 0.9 s of every worker's start on a busy 2-core machine against 0.35 s.
 *
 * What stays outside: the library (`import ... from 'fleetsim'` is tsc's dist/index.js), resvg
 * (a native addon) and piscina (it starts worker threads from its own files). mathjs and vega are
 * bundled into the chunks that need them, so only runs with expressions or charts read them.
 *
 * A bundled module keeps its own `import.meta.url`: for fleetsim's modules, the file tsc built
 * for it (worker threads start dist/plan/worker.js; pricing/ and package.json are found from
 * there); for a package's, its file in node_modules, found when the process runs.
 *
 *   node scripts/bundle-cli.mjs [--dist DIR]     (DIR: where tsc built, default dist)
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const distFlag = process.argv.indexOf('--dist');
const DIST = resolve(distFlag < 0 ? join(ROOT, 'dist') : process.argv[distFlag + 1]);
const OUT = join(DIST, 'cli');
const WORKER_OUT = join(DIST, 'plan');
/** Chunks sit beside main.js (worker.js), so one relative path serves every output file. */
const CHUNK = /^main-.+\.js$/;
const WORKER_CHUNK = /^worker-.+\.js$/;
const EXTERNAL = ['@resvg/resvg-js', 'piscina'];
/** sketches-js requires it only to serialise a sketch as protobuf, which fleetsim never does. */
const NEVER_LOADED = ['protobufjs/minimal'];

const posix = (path) => path.split(sep).join('/');

/** `import.meta.url` of a fleetsim module: the file tsc built for it, relative to the bundle in `out`. */
function builtUrl(source, out) {
  const built = join(DIST, relative(SRC, source)).replace(/\.ts$/, '.js');
  return `new URL(${JSON.stringify(posix(relative(out, built)))}, import.meta.url).href`;
}

/**
 * `import.meta.url` of a module of package `name` in node_modules, relative to the file the
 * package name resolves to when the process runs (the package may be installed elsewhere then).
 */
async function packageUrl(resolveFrom, file, out) {
  const inModules = posix(file).split('/node_modules/').pop();
  const name = inModules.startsWith('@')
    ? inModules.split('/').slice(0, 2).join('/')
    : inModules.split('/')[0];
  const entry = await resolveFrom(name, out);
  const root = posix(file).slice(
    0,
    posix(file).lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length,
  );
  if (!posix(entry).startsWith(root)) throw new Error(`${file}: ${name} resolves to another copy, ${entry}`);
  return `new URL(${JSON.stringify(posix(relative(dirname(entry), file)) || '.')}, import.meta.resolve(${JSON.stringify(name)})).href`;
}

/** The plugin that keeps `import.meta.url` for a bundle written to `out`. */
const moduleUrls = (out) => ({
  name: 'module-urls',
  setup(bundler) {
    const resolveFrom = async (name, dir) => {
      const found = await bundler.resolve(name, { kind: 'import-statement', resolveDir: dir });
      if (found.errors.length > 0) throw new Error(`cannot resolve ${name} from ${dir}`);
      return found.path;
    };
    bundler.onLoad({ filter: /\.(ts|js|mjs|cjs)$/ }, async (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const url = args.path.includes(`${sep}node_modules${sep}`)
        ? await packageUrl(resolveFrom, args.path, out)
        : builtUrl(args.path, out);
      const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
      return { contents: text.replaceAll('import.meta.url', `(${url})`), loader };
    });
  },
});

/**
 * zod re-exports its 50 translations of error messages as `z.locales`, which fleetsim never reads
 * (its messages are its own; zod's default English is a module of its own and stays). Bundled,
 * they were a sixth of the code a run parsed; `z.locales` is empty in the bundle.
 */
const withoutZodLocales = {
  name: 'without-zod-locales',
  setup(bundler) {
    bundler.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      posix(args.importer).includes('/node_modules/zod/v4/')
        ? { path: 'zod-locales', namespace: 'without-zod-locales' }
        : undefined,
    );
    bundler.onLoad({ filter: /.*/, namespace: 'without-zod-locales' }, () => ({
      contents: '',
      loader: 'js',
    }));
  },
};

/**
 * string-width (yargs and its cliui measure text with it) builds an `Intl.Segmenter` and a regular
 * expression of every emoji sequence when it is imported: 30 to 80 ms each here, paid by every
 * process, although a command line reaches them only to lay out help with non-ASCII text (ASCII
 * takes a path that needs neither). Both are built on first use instead. Each replacement must
 * match exactly once, so a string-width that reads otherwise stops the build rather than going
 * unchanged.
 */
const LAZY_STRING_WIDTH = [
  [
    'const segmenter = new Intl.Segmenter();',
    'let segmenterBuilt;\nconst segmenter = { segment: (text) => (segmenterBuilt ??= new Intl.Segmenter()).segment(text) };',
  ],
  [
    'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;',
    'let rgiEmojiBuilt;\nconst rgiEmojiRegex = { test: (text) => (rgiEmojiBuilt ??= /^\\p{RGI_Emoji}$/v).test(text) };',
  ],
];

const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const [eager, lazy] of LAZY_STRING_WIDTH) {
        // string-width 7 (inside cliui and wrap-ansi) calls emoji-regex when measuring instead.
        if (eager.includes('rgiEmoji') && text.includes("from 'emoji-regex'")) continue;
        if (text.split(eager).length !== 2) throw new Error(`${args.path}: expected one \`${eager}\``);
        text = text.replace(eager, lazy);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

/**
 * The scenario's JSON Schema, converted here from the modules tsc just built out of the same
 * sources, replaces src/scenario/json-schema-prebuilt.ts in the bundles (see there why). It
 * carries the policy registries' version at conversion, so a bundle in which a policy was
 * registered since converts the schema anew.
 */
async function prebuiltJsonSchema() {
  const [{ sharedScenarioJsonSchema }, { scenarioSchemaVersion }] = await Promise.all([
    import(pathToFileURL(join(DIST, 'scenario/json-schema.js')).href),
    import(pathToFileURL(join(DIST, 'scenario/schema.js')).href),
  ]);
  const value = { version: scenarioSchemaVersion(), text: JSON.stringify(sharedScenarioJsonSchema()) };
  return {
    name: 'prebuilt-json-schema',
    setup(bundler) {
      bundler.onLoad({ filter: /[\\/]src[\\/]scenario[\\/]json-schema-prebuilt\.ts$/ }, () => ({
        contents: `export const PREBUILT_SCENARIO_JSON_SCHEMA = ${JSON.stringify(value)};\n`,
        loader: 'js',
      }));
    },
  };
}

const jsonSchema = await prebuiltJsonSchema();

for (const file of readdirSync(OUT)) if (CHUNK.test(file)) rmSync(join(OUT, file));
for (const file of readdirSync(WORKER_OUT)) if (WORKER_CHUNK.test(file)) rmSync(join(WORKER_OUT, file));

const shared = {
  absWorkingDir: ROOT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...EXTERNAL, ...NEVER_LOADED],
  // The CommonJS packages in the bundle (seedrandom and sketches-js among them) call require.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

await build({
  ...shared,
  entryPoints: { main: join(SRC, 'cli/main.ts') },
  outdir: OUT,
  chunkNames: 'main-[name]-[hash]',
  plugins: [moduleUrls(OUT), withoutZodLocales, lazyStringWidth, jsonSchema],
});

await build({
  ...shared,
  entryPoints: { worker: join(SRC, 'plan/worker.ts') },
  outdir: WORKER_OUT,
  chunkNames: 'worker-[name]-[hash]',
  allowOverwrite: true,
  plugins: [moduleUrls(WORKER_OUT), withoutZodLocales, lazyStringWidth, jsonSchema],
});
