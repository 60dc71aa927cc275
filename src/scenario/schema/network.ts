/** `network:` and `data_transfer:`: time on the wire and the price of bytes leaving the cloud. */

import * as z from 'zod';
import { Bandwidth, Duration, expected, PositiveNumber, Size } from '../../core/schema-values.js';
import type { DataTransferConfig, DisaggregationConfig, KvLinkConfig, NetworkConfig } from '../types.js';

// Schemas under z.lazy are built on first use: most scenarios leave these sections out, and
// building zod schemas is a noticeable part of what a short `fleetsim run` waits for.

export const NetworkSchema = z.lazy(() =>
  z
    .object({
      origin: z
        .string(expected('a place name'))
        .min(1)
        .describe('Where requests come from: a place named in `rtt` (a city, an edge site, a region).'),
      rtt: z
        .record(z.string(), z.record(z.string(), Duration))
        .prefault({})
        .describe(
          'Round-trip times between places: `{ from: { to: 12ms } }`; one direction is enough. Places are cloud ' +
            "regions (a fleet's `region`), edge sites (a fleet's `site`) and `origin`.",
        ),
      same_place_rtt: Duration.prefault(0.001).describe(
        'Round trip within one place (AWS zones measure 0.5-1.5 ms).',
      ),
      bandwidth: z
        .object({
          up: Bandwidth.optional().describe(
            "Client's upload bandwidth, for request bytes. Default: unlimited.",
          ),
          down: Bandwidth.optional().describe(
            "Client's download bandwidth, for response bytes. Default: unlimited.",
          ),
        })
        .strict()
        .prefault({})
        .describe('Bandwidth of one client connection (`20Mbps`, `5MB/s`).'),
      bytes_per_token: PositiveNumber.prefault(4).describe(
        'Bytes per token of text, for requests and responses without byte counts (OpenAI: a token is about 4 characters of English).',
      ),
      envelope_bytes: Size.prefault(0).describe(
        'Bytes of JSON and headers added to every request and response.',
      ),
    })
    .strict()
    .transform(
      (network): NetworkConfig => ({
        origin: network.origin,
        rtt: network.rtt,
        samePlaceRtt: network.same_place_rtt,
        uplinkBytesPerS: network.bandwidth.up ?? Number.POSITIVE_INFINITY,
        downlinkBytesPerS: network.bandwidth.down ?? Number.POSITIVE_INFINITY,
        bytesPerToken: network.bytes_per_token,
        envelopeBytes: network.envelope_bytes,
      }),
    )
    .describe(
      'Where requests come from and how far that is: each request spends one round trip plus its bytes over the ' +
        'bandwidth on the wire, added to its latency (and to time to first token).',
    ),
);

export const DataTransferSchema = z.lazy(() =>
  z
    .object({
      tiering: z
        .enum(['prorated', 'run'], expected('prorated or run'))
        .prefault('prorated')
        .describe(
          'How monthly volume tiers apply: `prorated` prices the run as steady traffic over a 730-hour month; ' +
            '`run` treats the run as the start of a billing month.',
        ),
      month_to_date: Size.prefault(0).describe(
        'With `run`: bytes already sent this month from the same source.',
      ),
    })
    .strict()
    .transform(
      (transfer): DataTransferConfig => ({
        tiering: transfer.tiering,
        monthToDateBytes: transfer.month_to_date,
      }),
    )
    .describe(
      "Price response bytes leaving cloud fleets (internet egress, or inter-region to an origin in the provider's own " +
        'region) from pricing/data-transfer.yaml; edge fleets send for free.',
    ),
);

/**
 * The KV-cache link when nobody describes it: one 400 Gb/s NIC per replica, the rate of NVIDIA's
 * ConnectX-7 (InfiniBand NDR or 400 GbE RoCE; a DGX H100 has one per GPU), and 10 µs to set up
 * a transfer, of the order of an RDMA write's round trip through one switch (a few µs) plus its
 * completion. Both are assumptions to replace with a measurement of the fabric.
 */
export const DEFAULT_KV_LINK: KvLinkConfig = { bytesPerS: 400e9 / 8, latencyS: 10e-6 };

export const DisaggregationSchema = z.lazy(() =>
  z
    .object({
      kv_link: z
        .object({
          bandwidth: Bandwidth.prefault('400Gbps').describe(
            "Bytes per second from one prefill replica to a decode replica (all the replica's NICs together). " +
              'Default: one 400 Gb/s NIC (NVIDIA ConnectX-7, InfiniBand NDR or RoCE).',
          ),
          latency: Duration.prefault('10us').describe(
            'Time a transfer takes besides its bytes (setup and completion). Default: 10us, of the order of an ' +
              'RDMA round trip through one switch.',
          ),
        })
        .strict()
        .prefault({})
        .describe("The link a request's KV cache crosses from its prefill replica to its decode replica."),
    })
    .strict()
    .transform(
      (spec): DisaggregationConfig => ({
        kvLink: { bytesPerS: spec.kv_link.bandwidth, latencyS: spec.kv_link.latency },
      }),
    )
    .describe(
      'Prefill/decode disaggregation (fleets with `role: prefill` and `role: decode`): the transfer of each ' +
        "request's KV cache between them; unused without such fleets. See docs/llm-serving.md.",
    ),
);
