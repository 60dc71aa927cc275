/** The simulation clock counts integer microseconds; scenarios and outputs speak seconds. */
export const US_PER_S = 1e6;
