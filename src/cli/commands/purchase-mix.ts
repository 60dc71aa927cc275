import { relative } from 'node:path';
import { runPurchaseMix } from '../../plan/purchase-mix.js';
import { purchaseMixAnswerLines, renderPurchaseMixTable } from '../../plan/purchase-mix-output.js';
import { type CliIo, checkVerdicts, UsageError } from '../io.js';
import { startStudyProgress } from '../progress.js';
import type { PlanArgs } from './plan.js';
import { studyOptions, withSignals } from './sweep.js';

/** `fleetsim plan SCENARIO --purchase-mix ...`: the cost-risk frontier of purchase mixes and the pick. */
export async function purchaseMixCommand(args: PlanArgs, io: CliIo): Promise<number> {
  if (args.vary !== undefined) {
    throw new UsageError('--vary and --purchase-mix do not combine: --purchase-mix varies the fleets itself');
  }
  const options = {
    ...(await studyOptions(args, io, 'plan')),
    mix: args.purchaseMix ?? [],
    riskTolerance: args.riskTolerance,
    png: args.png === true,
  };
  return withSignals(io, async (signal) => {
    const started = performance.now();
    const progress = startStudyProgress(io, 'plan', { quiet: args.quiet, bounded: true });
    let outcome: Awaited<ReturnType<typeof runPurchaseMix>>;
    try {
      outcome = await runPurchaseMix({ ...options, signal, onProgress: progress.update });
    } finally {
      progress.stop();
    }
    const { result } = outcome;
    if (args.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else if (!args.quiet) {
      io.stdout(`${renderPurchaseMixTable(result)}\n${purchaseMixAnswerLines(result).join('\n')}\n`);
    }
    if (!args.quiet) {
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      io.stderr(
        `${result.candidates.length} mix(es), ${result.configurations} configuration(s): ${outcome.computed} run now, ${outcome.reused} reused, in ${seconds} s; wrote ${outcome.files
          .map((path) => relative(io.cwd, path))
          .join(', ')}\n`,
      );
    }
    if (!args.check || result.pick !== null) return 0;
    return checkVerdicts(io, [
      'plan --purchase-mix: no mix meets the objective within the risk tolerance (purchase-mix.json shows what each missed)',
    ]);
  });
}
