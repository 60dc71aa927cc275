/**
 * What piscina starts in each worker thread: a CommonJS file, so that piscina's `require()` of it
 * does not instantiate ES modules synchronously. Node 20 aborts the whole process
 * (`v8::Module::IsGraphAsync ... must be used on an instantiated module`) when a thread is
 * terminated during that synchronous step, which a study did when it ended (a scenario error,
 * Ctrl-C, a failed run) while its threads were still loading. `import()` can be interrupted.
 */
const loading = import('./worker.js');
// A failed load is reported by the first job that awaits it, not as an unhandled rejection.
loading.catch(() => {});

module.exports = async (job: Parameters<Awaited<typeof loading>['default']>[0]) =>
  (await loading).default(job);
