import { describe, expect, it } from 'vitest';
import { cancelThenDrainLeastLoaded } from './autoscaler-driver.js';
import { ReplicaState } from './replica-lifecycle.js';

const { Off, Provisioning, Ready, Draining } = ReplicaState;

/** Removes replicas one by one as the driver does: each choice leaves its slot off (cancelled) or draining. */
function removals(states: number[], outstanding: number[], count: number): number[] {
  const state = Uint8Array.from(states);
  const load = Int32Array.from(outstanding);
  const removed: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = cancelThenDrainLeastLoaded.next(0, state.length, state, load);
    if (r < 0) break;
    removed.push(r);
    state[r] = state[r] === Provisioning ? Off : Draining;
  }
  return removed;
}

describe('cancelThenDrainLeastLoaded', () => {
  it('cancels provisioning replicas newest slot first, then drains the least loaded ready ones', () => {
    const states = [Ready, Provisioning, Ready, Ready, Provisioning, Draining, Off];
    const outstanding = [5, 0, 2, 7, 0, 0, 0];
    expect(removals(states, outstanding, 5)).toEqual([4, 1, 2, 0, 3]);
  });

  it('breaks a tie in load toward the later slot, and stops when nothing is left to remove', () => {
    expect(removals([Ready, Ready, Ready], [3, 1, 1], 4)).toEqual([2, 1, 0]);
    expect(removals([Off, Draining], [0, 4], 1)).toEqual([]);
  });
});
