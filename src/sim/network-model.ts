import { toUs } from '../core/time.js';
import { buildRttMatrix, messageBytes, type RttIssue } from '../fleet/network.js';
import { placeOf, routeOf } from '../fleet/places.js';
import { egressCostUsd, proratedEgressCostUsd, type TransferRoute } from '../hardware/data-transfer.js';
import {
  type DataTransferConfig,
  type NetworkConfig,
  RunInputError,
  type Scenario,
} from '../scenario/types.js';

/** Per fleet: what a request spends on the wire, and what its response bytes cost. */
export class NetworkModel {
  /** Round trip from the origin to each fleet, microseconds. */
  private readonly rttUs: Float64Array;
  private readonly routes: (TransferRoute | null)[];
  /** Response bytes each fleet sent. */
  readonly egressBytes: Float64Array;

  constructor(
    scenario: Scenario,
    private readonly network: NetworkConfig | null,
    private readonly transfer: DataTransferConfig | null,
  ) {
    const { fleets } = scenario;
    this.rttUs = new Float64Array(fleets.length);
    if (network !== null) {
      const pairs = fleets.map((f): [string, string] => [network.origin, placeOf(f) ?? network.origin]);
      const matrix = buildRttMatrix(network.rtt, pairs, network.samePlaceRtt);
      if (!matrix.ok) throw new RangeError(matrix.errors.map((e: RttIssue) => e.message).join('; '));
      fleets.forEach((f, i) => {
        this.rttUs[i] = toUs(matrix.value.rttS(network.origin, placeOf(f) ?? network.origin));
      });
    }
    this.routes = fleets.map((f) => (transfer === null ? null : routeOf(f, scenario)));
    this.egressBytes = new Float64Array(fleets.length);
  }

  /** Request bytes: the workload's, or its input tokens as text. */
  requestBytes(bytes: number, inputTokens: number): number {
    if (bytes > 0) return bytes;
    const network = this.network;
    return network === null
      ? 0
      : messageBytes(inputTokens, {
          bytesPerToken: network.bytesPerToken,
          envelopeBytes: network.envelopeBytes,
        });
  }

  responseBytes(bytes: number, outputTokens: number): number {
    if (bytes > 0) return bytes;
    const network = this.network;
    return network === null
      ? 0
      : messageBytes(outputTokens, {
          bytesPerToken: network.bytesPerToken,
          envelopeBytes: network.envelopeBytes,
        });
  }

  /**
   * The client-side time on the wire of a completed request, from its stored bytes (0: none
   * given) or tokens; counts its response bytes toward `fleet`'s transfer cost.
   */
  completionWireUs(
    fleet: number,
    requestBytes: number,
    inputTokens: number,
    responseBytes: number,
    outputTokens: number,
  ): number {
    const request = this.requestBytes(requestBytes, inputTokens);
    const response = this.responseBytes(responseBytes, outputTokens);
    this.egressBytes[fleet] += response;
    return this.wireUs(fleet, request, response);
  }

  /** Time on the wire of a request and its whole response: one round trip plus each message over its direction's bandwidth. */
  wireUs(fleet: number, requestBytes: number, responseBytes: number): number {
    const network = this.network;
    if (network === null) return 0;
    const us =
      this.rttUs[fleet] +
      toUs(requestBytes / network.uplinkBytesPerS + responseBytes / network.downlinkBytesPerS);
    if (us < Number.POSITIVE_INFINITY) return us;
    throw endlessTransfer(requestBytes, responseBytes, network);
  }

  /** Until the first token reaches the client: the request's way there, and half a round trip back for a tiny message. */
  firstTokenWireUs(fleet: number, requestBytes: number): number {
    const network = this.network;
    if (network === null) return 0;
    const us = this.rttUs[fleet] + toUs(requestBytes / network.uplinkBytesPerS);
    if (us < Number.POSITIVE_INFINITY) return us;
    throw endlessTransfer(requestBytes, 0, network);
  }

  /** USD for the bytes each fleet sent, over a run of `horizonS`. */
  transferCostUsd(horizonS: number): number[] {
    const transfer = this.transfer;
    return this.routes.map((route, f) => {
      if (route === null || transfer === null || this.egressBytes[f] === 0) return 0;
      return transfer.tiering === 'prorated'
        ? proratedEgressCostUsd(route, this.egressBytes[f], horizonS)
        : egressCostUsd(route, this.egressBytes[f], transfer.monthToDateBytes);
    });
  }

  get active(): boolean {
    return this.network !== null || this.transfer !== null;
  }
}

/** Out of line so the per-request methods stay small. */
function endlessTransfer(requestBytes: number, responseBytes: number, network: NetworkConfig): RunInputError {
  return new RunInputError(
    `network: a request of ${requestBytes} bytes (response ${responseBytes} bytes) over network.bandwidth ` +
      `up ${network.uplinkBytesPerS} B/s, down ${network.downlinkBytesPerS} B/s takes longer than any simulated time`,
  );
}
