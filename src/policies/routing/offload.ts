import { InvariantError } from '../../core/errors.js';
import type { ReplicaLoadView, ReplicaPicker } from './types.js';

/** What offload reads of a request: its size, never its service time. */
export interface OffloadRequestView {
  readonly inputTokens: number;
  /** NaN when the workload has no byte counts; then `maxRequestBytes` must not be set. */
  readonly requestBytes: number;
}

export interface OffloadParams {
  /** The edge has room while its chosen replica has fewer than concurrency + this outstanding. */
  maxQueuePerReplica: number;
  /** Larger requests go to the cloud. */
  maxInputTokens?: number;
  maxRequestBytes?: number;
}

/** Requests routed so far, by where and why. */
export interface OffloadCounts {
  edge: number;
  /** Sent to the cloud (or held for it) because the edge was full or had no replica ready. */
  overflow: number;
  /** Sent to the cloud (or held for it) because the request was above a size limit. */
  oversize: number;
}

export interface OffloadRouter {
  /** A replica index, or -1 when no replica that may take the request is ready. */
  pick(request: OffloadRequestView): number;
  /** Live counts; the share that stayed on the edge is edge / (edge + overflow + oversize). */
  readonly counts: Readonly<OffloadCounts>;
}

/**
 * Edge first: a request within the size limits goes to the replica the edge picker chooses if
 * that replica has room (as `spillover` judges room); a larger request, or one that finds the
 * chosen edge replica full or none ready, goes to the replica the cloud picker chooses, full or
 * not. With no cloud replica ready, overflow waits at the full edge replica (as `spillover` falls
 * back) and a request too large for the edge gets -1, to be held for the cloud. A request above a
 * size limit never touches the edge picker, so it advances no round-robin and draws no random
 * number there.
 */
export function offload(
  edge: ReplicaPicker,
  cloud: ReplicaPicker,
  load: ReplicaLoadView,
  params: OffloadParams,
): OffloadRouter {
  const counts: OffloadCounts = { edge: 0, overflow: 0, oversize: 0 };
  const maxInputTokens = params.maxInputTokens ?? Number.POSITIVE_INFINITY;
  const maxRequestBytes = params.maxRequestBytes ?? Number.POSITIVE_INFINITY;
  const checksBytes = params.maxRequestBytes !== undefined;
  return {
    counts,
    pick(request) {
      if (checksBytes && Number.isNaN(request.requestBytes)) {
        throw new InvariantError('offload has a byte limit but the request has no byte count');
      }
      if (request.inputTokens > maxInputTokens || request.requestBytes > maxRequestBytes) {
        counts.oversize++;
        return cloud.pick();
      }
      const atEdge = edge.pick();
      if (atEdge >= 0 && load.outstanding[atEdge] < load.concurrency[atEdge] + params.maxQueuePerReplica) {
        counts.edge++;
        return atEdge;
      }
      const inCloud = cloud.pick();
      if (inCloud < 0 && atEdge >= 0) {
        counts.edge++;
        return atEdge;
      }
      counts.overflow++;
      return inCloud;
    },
  };
}
