import { InvariantError } from '../../core/errors.js';
import type { KvBlocks } from './kv-blocks.js';
import type { HeldBlocks, PrefixBlock, PrefixCache } from './prefix-cache.js';
import type { ContinuousConfig, Sequence } from './sequence.js';
import type { WaitingQueues } from './waiting-queues.js';

/** What of a `ContinuousScheduler` its laws read. */
export interface SchedulerState {
  readonly config: ContinuousConfig;
  readonly kv: KvBlocks;
  /** Running sequences in admission order, level by level. */
  readonly running: readonly Sequence[];
  /** The planned iteration's sequences. */
  readonly scheduled: readonly Sequence[];
  readonly waiting: WaitingQueues;
  /** The decode-repeat shortcut's state: how many running sequences lag, by how many iterations, and whether the plan has them. */
  readonly lagging: number;
  readonly ahead: number;
  readonly planned: boolean;
  readonly preemptions: number;
  readonly scheduledTokens: number;
}

/**
 * Throws an `InvariantError` naming the first broken law of the KV cache and the queues: the
 * free blocks, the cached blocks no sequence holds and the blocks held (a shared cached block
 * once) add up to the cache, each running sequence holds exactly the blocks of the tokens it has
 * computed or has scheduled, each cached block counts the sequences holding it, the host tier
 * stays within its capacity and shares no block with accelerator memory, a waiting
 * sequence holds none, and no iteration exceeds `max_num_seqs` or the token budget. Linear in
 * the sequences and cached blocks on the replica; for tests (see `observeSchedulerSteps`), never
 * called on a run's own path.
 */
export function checkSchedulerInvariants(state: SchedulerState): void {
  const { config, kv, running, waiting } = state;
  const fail = (law: string): never => {
    throw new InvariantError(
      `KV-cache scheduler: ${law} (total ${kv.total} blocks, ${kv.free} free, ` +
        `${running.length} running, ${waiting.live} waiting, ${state.preemptions} preemptions` +
        `${kv.cache === null ? '' : `, ${kv.cache.cached} cached of which ${kv.cache.evictable} unheld`}` +
        `${kv.host === null ? '' : `, ${(kv.cache as PrefixCache).hosted} in host memory`})`,
    );
  };
  if (!(kv.free >= 0 && kv.free <= kv.total)) fail('free blocks outside 0 .. total');
  if (running.length > config.maxNumSeqs) fail('more running sequences than max_num_seqs');
  for (let i = 1; i < running.length; i++) {
    if (running[i].level > running[i - 1].level) fail('running sequences out of priority order');
  }
  if (state.scheduledTokens > config.maxNumBatchedTokens) fail('iteration over the token budget');
  const seen = new Set<Sequence>();
  const holders = new Map<PrefixBlock, number>();
  let held = 0;
  if (state.lagging > running.length) fail(`${state.lagging} lagging decodes, more than run`);
  for (let i = 0; i < running.length; i++) {
    const sequence = running[i];
    if (seen.has(sequence)) fail(`sequence ${sequence.slot} runs twice`);
    seen.add(sequence);
    const lagging = i < state.lagging;
    if (lagging && state.planned && state.scheduled[i] !== sequence)
      fail(`lagging decode ${sequence.slot} is not where the plan has it`);
    // A lagging decode is `ahead` tokens on from what it stores, and took the blocks it needs
    // from the free ones; what it holds is brought up to date when it stops lagging.
    const ahead = lagging ? state.ahead : 0;
    const scheduled = lagging && !state.planned ? 0 : sequence.scheduled;
    const needed = kv.blocksFor(sequence.computed + ahead + scheduled);
    const blocks = lagging ? needed : sequence.blocks;
    if (blocks < 0) fail(`sequence ${sequence.slot} holds ${blocks} blocks`);
    if (blocks !== needed) {
      fail(`running sequence ${sequence.slot} holds ${blocks} blocks for ${needed} blocks of tokens`);
    }
    if (sequence.generated + ahead >= sequence.output) fail(`finished sequence ${sequence.slot} still runs`);
    const cached = sequence.held?.count ?? 0;
    if (cached > 0 && kv.cache === null) fail(`sequence ${sequence.slot} holds cached blocks, with no cache`);
    if (cached > blocks) fail(`sequence ${sequence.slot} holds more cached blocks than blocks`);
    for (let i = 0; i < cached; i++) {
      const block = (sequence.held as HeldBlocks).at(i);
      holders.set(block, (holders.get(block) ?? 0) + 1);
    }
    held += blocks - cached;
  }
  let unheld = 0;
  if (kv.cache !== null) {
    const { law, referenced } = kv.cache.check(holders);
    if (law !== null) fail(law);
    held += referenced;
    unheld = kv.cache.evictable;
  }
  if (kv.outgoing < 0) fail(`${kv.outgoing} blocks held for transfers`);
  if (held + unheld + kv.outgoing + kv.free !== kv.total) {
    const cached = kv.cache === null ? '' : ` and the ${unheld} cached ones no sequence holds`;
    const outgoing = kv.outgoing > 0 ? ` and ${kv.outgoing} held for transfers` : '';
    fail(
      `running sequences hold ${held} blocks, which with the free ones${cached}${outgoing} is not the cache`,
    );
  }
  let live = 0;
  for (const sequence of waiting.all()) {
    if (sequence.cancelled) continue;
    live++;
    if (seen.has(sequence)) fail(`sequence ${sequence.slot} both runs and waits`);
    seen.add(sequence);
    // A prompt computed on another replica waits with its tokens but without blocks here.
    const computedElsewhere = !sequence.admitted && sequence.computed === sequence.prompt;
    if (
      sequence.blocks !== 0 ||
      (sequence.computed !== 0 && !computedElsewhere) ||
      (sequence.held?.count ?? 0) !== 0
    ) {
      fail(
        `waiting sequence ${sequence.slot} holds ${sequence.blocks} blocks for ${sequence.computed} tokens`,
      );
    }
  }
  if (live !== waiting.live) fail(`${live} sequences wait, not ${waiting.live}`);
}
