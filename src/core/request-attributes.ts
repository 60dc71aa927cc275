/**
 * What a request carries besides its arrival time. Arrays of per-request attributes (the
 * simulator's, a trace's columns, what routing reads) hold them in this order.
 */
export type RequestAttribute = 'input_tokens' | 'output_tokens' | 'request_bytes' | 'response_bytes';
export const REQUEST_ATTRIBUTES: readonly RequestAttribute[] = [
  'input_tokens',
  'output_tokens',
  'request_bytes',
  'response_bytes',
];
