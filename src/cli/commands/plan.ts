import { relative } from 'node:path';
import type { FleetPerformance } from '../../metrics/index.js';
import {
  describeMetShare,
  performanceCaveatsOf,
  planAnswerLines,
  renderPlanTable,
  runPlan,
} from '../../plan/index.js';
import { writePlanReport } from '../../plan/study-report.js';
import { type CliIo, checkVerdicts, UsageError } from '../io.js';
import { startStudyProgress } from '../progress.js';
import { purchaseMixCommand } from './purchase-mix.js';
import { chartNote, type StudyArgs, scenarioSource, studyOptions, withSignals } from './sweep.js';

export interface PlanArgs extends StudyArgs {
  vary?: string[];
  capacity: boolean;
  json: boolean;
  check?: boolean;
  /** `--purchase-mix key=values`: search purchase mixes instead of the fewest replicas. */
  purchaseMix?: string[];
  riskTolerance?: number;
}

/** What the caveat of the pick is about: calibrated step times, or unvalidated ones. */
function caveatNote(performance: Record<string, FleetPerformance>): string {
  const caveated = Object.values(performance).filter((p) => p.caveat !== null);
  if (caveated.length === 0) return '';
  return caveated.every((p) => p.source === 'calibrated')
    ? ' (calibrated step times: see the caveat)'
    : ' (unvalidated step times: see the caveat)';
}

export async function planCommand(args: PlanArgs, io: CliIo): Promise<number> {
  if (args.purchaseMix !== undefined) return purchaseMixCommand(args, io);
  if (args.riskTolerance !== undefined)
    throw new UsageError('--risk-tolerance applies only with --purchase-mix');
  const options = { ...(await studyOptions(args, io, 'plan')), vary: args.vary, capacity: args.capacity };
  return withSignals(io, async (signal) => {
    const started = performance.now();
    const progress = startStudyProgress(io, 'plan', { quiet: args.quiet, bounded: true });
    let outcome: Awaited<ReturnType<typeof runPlan>>;
    try {
      outcome = await runPlan({ ...options, signal, onProgress: progress.update });
    } finally {
      progress.stop();
    }
    const { result } = outcome;
    const report = await writePlanReport(options.outDir, result, scenarioSource(options.scenario), {
      png: args.png === true,
    });
    if (outcome.identicalNote !== null) io.stderr(`fleetsim: warning: ${outcome.identicalNote}\n`);
    if (args.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else if (!args.quiet) io.stdout(`${renderPlanTable(result)}\n${planAnswerLines(result).join('\n')}\n`);
    if (!args.quiet) {
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const verdict =
        result.best === null
          ? 'no candidate meets the SLO'
          : `best: ${Object.entries(result.best.params)
              .map(([path, value]) => `${path}=${JSON.stringify(value)}`)
              .join(
                ', ',
              )}${result.search.variants.length > 1 ? ` (variant ${result.best.variant})` : ''}${caveatNote(
              result.best.performance,
            )}`;
      const infeasible = result.candidates.filter((entry) => entry.status === 'infeasible').length;
      const infeasibleNote = infeasible > 0 ? `; ${infeasible} infeasible candidate(s) skipped` : '';
      io.stderr(
        `${verdict}${infeasibleNote}; ${result.configurations} configuration(s): ${outcome.computed} run now, ${outcome.reused} reused, in ${seconds} s; wrote ${[
          ...outcome.files,
          ...report.files,
        ]
          .map((path) => relative(io.cwd, path))
          .join(', ')}${chartNote(report.charts, io)}\n`,
      );
      if (result.best?.slo != null && result.replications > 1) {
        io.stderr(
          `best ${describeMetShare(result.best.slo)}${result.model_uncertainty ? ', with the step-time parameters drawn from their uncertainty' : ''}\n`,
        );
      }
      for (const caveat of result.best === null ? [] : performanceCaveatsOf(result.best.performance))
        io.stderr(`fleetsim: caveat: best: ${caveat}\n`);
    }
    if (!args.check || result.best !== null) return 0;
    return checkVerdicts(io, ['plan: no candidate meets the objective (plan.json shows what each missed)']);
  });
}
