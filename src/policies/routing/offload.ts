import * as z from 'zod';
import { InvariantError } from '../../core/errors.js';
import { REQUEST_ATTRIBUTES } from '../../core/request-attributes.js';
import { expected, NonNegativeInteger, Size } from '../../core/schema-values.js';
import { defineFleetRouting } from './definition.js';
import { withinSchema } from './replica-policy.js';
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

const schema = z
  .object({
    policy: z
      .literal('offload')
      .describe(
        'Edge first: a request stays on the `edge` fleet while it has room and the request is small enough.',
      ),
    edge: z.string(expected('a fleet name')).describe('The edge fleet, tried first.'),
    cloud: z.string(expected('a fleet name')).describe('Where overflow and oversize requests go.'),
    within: withinSchema,
    max_queue_per_replica: NonNegativeInteger.prefault(0).describe(
      'The edge has room while its chosen replica has fewer than concurrency + this many requests.',
    ),
    max_input_tokens: NonNegativeInteger.nullable()
      .prefault(null)
      .describe('Requests with more input tokens go to the cloud. null: no limit.'),
    max_request_bytes: Size.nullable()
      .prefault(null)
      .describe('Requests larger than this go to the cloud. null: no limit.'),
  })
  .strict();

const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');
const REQUEST_BYTES = REQUEST_ATTRIBUTES.indexOf('request_bytes');

export const offloadPolicy = defineFleetRouting({
  name: 'offload',
  schema,
  defaults: {
    within: 'least-outstanding',
    max_queue_per_replica: 0,
    max_input_tokens: null,
    max_request_bytes: null,
  },
  resolve: (spec) => ({
    policy: spec.policy,
    edge: spec.edge,
    cloud: spec.cloud,
    within: spec.within,
    maxQueuePerReplica: spec.max_queue_per_replica,
    maxInputTokens: spec.max_input_tokens,
    maxRequestBytes: spec.max_request_bytes,
  }),
  fleetReferences: (block) =>
    (['edge', 'cloud'] as const).flatMap((key) => {
      const name = block[key];
      return typeof name === 'string' ? [{ path: [key], name }] : [];
    }),
  problems: (block) =>
    typeof block.edge === 'string' && block.edge === block.cloud
      ? [{ path: ['cloud'], message: 'expected a fleet other than the edge fleet' }]
      : [],
  createRouter(config, { attributes, indexOf, load, picker, setReady }) {
    const [edge, cloud] = [indexOf(config.edge), indexOf(config.cloud)];
    const router = offload(picker(config.within, edge), picker(config.within, cloud), load, {
      maxQueuePerReplica: config.maxQueuePerReplica,
      ...(config.maxInputTokens !== null && { maxInputTokens: config.maxInputTokens }),
      ...(config.maxRequestBytes !== null && { maxRequestBytes: config.maxRequestBytes }),
    });
    const request: { -readonly [K in keyof OffloadRequestView]: number } = {
      inputTokens: 0,
      requestBytes: 0,
    };
    return {
      pick() {
        request.inputTokens = attributes[INPUT_TOKENS];
        request.requestBytes = attributes[REQUEST_BYTES];
        return router.pick(request);
      },
      setReady,
      holdingFleet: () => cloud,
      offloadCounts: router.counts as OffloadCounts,
    };
  },
  example: {
    policy: 'offload',
    edge: 'edge-nyc',
    cloud: 'gpu',
    max_queue_per_replica: 4,
    max_input_tokens: 4096,
    max_request_bytes: '64KB',
  },
});

/**
 * Edge first: a request stays on `edge` while its chosen replica has room (concurrency +
 * `maxQueuePerReplica`) and the request is within the size limits; otherwise it goes to `cloud`.
 */
export type OffloadRouting = ReturnType<(typeof offloadPolicy)['resolve']>;
