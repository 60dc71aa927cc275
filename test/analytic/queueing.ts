/** Closed-form queueing results (formulas in shared/DOMAIN.md), the independent truth the simulator is checked against. */

/** Erlang C: probability that an arrival waits in M/M/c, with offered load a = lambda/mu < c. */
export function erlangC(servers: number, offeredLoad: number): number {
  const rho = offeredLoad / servers;
  if (rho >= 1) throw new RangeError('M/M/c is unstable at rho >= 1');
  let term = 1;
  let sum = 1;
  for (let k = 1; k < servers; k++) {
    term *= offeredLoad / k;
    sum += term;
  }
  const waiting = ((term * offeredLoad) / servers) * (1 / (1 - rho));
  return waiting / (sum + waiting);
}

export interface MmcTruth {
  waitProbability: number;
  meanWaitS: number;
  /** Wait exceeded with probability 1 - q (0 when q <= 1 - C). */
  waitQuantileS(q: number): number;
}

export function mmc(servers: number, arrivalRate: number, serviceRate: number): MmcTruth {
  const c = erlangC(servers, arrivalRate / serviceRate);
  const drain = servers * serviceRate - arrivalRate;
  return {
    waitProbability: c,
    meanWaitS: c / drain,
    waitQuantileS: (q) => (1 - q >= c ? 0 : Math.log(c / (1 - q)) / drain),
  };
}

/** Pollaczek-Khinchine mean wait of M/G/1: Wq = rho E[S] (1 + cs^2) / (2 (1 - rho)). */
export function pollaczekKhinchineMeanWait(
  arrivalRate: number,
  meanServiceS: number,
  serviceCv: number,
): number {
  const rho = arrivalRate * meanServiceS;
  if (rho >= 1) throw new RangeError('M/G/1 is unstable at rho >= 1');
  return (rho * meanServiceS * (1 + serviceCv ** 2)) / (2 * (1 - rho));
}

/** Two-sided 97.5 % quantiles of Student's t for small degrees of freedom. */
const T_975 = [
  Number.NaN,
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
];

/** Mean and 95 % confidence half-width of independent replications. */
export function confidenceInterval(samples: readonly number[]): { mean: number; halfWidth: number } {
  const n = samples.length;
  if (n < 2 || n > 21) throw new RangeError('2..21 replications supported');
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, halfWidth: T_975[n - 1] * Math.sqrt(variance / n) };
}
