/**
 * Which parts of src/ may import which: `npm run lint:deps`, part of `npm test`.
 *
 * The layers, each importing only those before it:
 *
 *   core  <-  engine  <-  scenario, workload, hardware, serving, policies, fleet
 *         <-  metrics  <-  sim  <-  report  <-  run.ts  <-  plan  <-  cli  <-  index.ts
 *
 * src/core holds what every layer shares (errors, units, time, number formats) and imports
 * nothing from src; src/util holds small helpers (name suggestions, excerpts, CSV error text) that
 * import only core. The middle layer's directories import one another (a scenario names serving
 * models and fleet interruption settings; serving reads the resolved scenario). metrics sits below
 * sim: the simulation collects its figures with the metrics types and sketches, and nothing in
 * metrics runs a simulation. report renders results without knowing how runs are planned; plan
 * runs scenarios through run.ts and writes with report's helpers.
 *
 * Test files are left out: a test may reach across layers (and into test/) to build its inputs.
 * No import breaks these rules today, so none is listed as an exception.
 */

const MIDDLE = '^src/(scenario|workload|hardware|serving|policies|fleet)/';

function layer(name, from, forbiddenTo, comment) {
  return {
    name,
    severity: 'error',
    comment,
    from: { path: from, pathNot: '\\.test\\.ts$' },
    to: { path: forbiddenTo },
  };
}

module.exports = {
  forbidden: [
    layer(
      'core-imports-nothing',
      '^src/core/',
      '^src/(?!core/)',
      'src/core is the bottom layer: it imports nothing else from src.',
    ),
    layer(
      'util-imports-only-core',
      '^src/util/',
      '^src/(?!(core|util)/)',
      'src/util helpers import only src/core.',
    ),
    layer(
      'engine-imports-only-core',
      '^src/engine/',
      '^src/(?!(core|engine)/)',
      'The event engine imports only src/core.',
    ),
    layer(
      'middle-below-metrics',
      MIDDLE,
      '^src/((metrics|sim|report|plan|cli)/|run\\.ts$|index\\.ts$)',
      'Scenario, workload, hardware, serving, policies and fleet import neither metrics nor anything above it.',
    ),
    layer(
      'metrics-below-sim',
      '^src/metrics/',
      '^src/((sim|report|plan|cli)/|run\\.ts$|index\\.ts$)',
      'metrics describes results; it runs no simulation and renders nothing.',
    ),
    layer(
      'sim-below-outputs',
      '^src/sim/',
      '^src/((report|plan|cli)/|run\\.ts$|index\\.ts$)',
      'The simulation produces results; rendering, planning and the command line are above it.',
    ),
    layer(
      'report-below-plan',
      '^src/report/',
      '^src/((plan|cli)/|run\\.ts$|index\\.ts$)',
      'report renders results; it does not run or plan.',
    ),
    layer(
      'run-below-plan',
      '^src/run\\.ts$',
      '^src/((plan|cli)/|index\\.ts$)',
      'run.ts runs one scenario; plans and the command line call it.',
    ),
    layer(
      'plan-below-cli',
      '^src/plan/',
      '^src/(cli/|index\\.ts$)',
      'plan is a library the command line calls, never the reverse.',
    ),
    layer(
      'cli-below-index',
      '^src/cli/',
      '^src/index\\.ts$',
      'src/index.ts is the package entry point; nothing inside imports it.',
    ),
    {
      name: 'src-imports-no-tests',
      severity: 'error',
      comment: 'Shipped code imports nothing from test/ or bench/.',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser to parse with; swc parses the
    // TypeScript syntax, type-only imports included.
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
