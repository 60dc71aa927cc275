/**
 * Vega's expression parser (vega-expression 6.2.2, `parsePrimaryExpression`) asks a plain object
 * of keywords whether a string literal is one, so a string that names a property every object
 * inherits (`toString`, `constructor`, `valueOf`, ...) parses as an unknown identifier and the
 * whole chart fails with "Operator not defined". Vega-Lite writes domain and sort values into
 * such expressions, and those values are scenario names: a variant called `toString` broke every
 * chart of its run, in the files and in report.html alike.
 */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * `spec` with every string value that names an inherited property followed by a space: it looks
 * the same on the chart, and no scenario name can end with a space, so it stays apart from every
 * other name. Keys are left alone; they are the charts' own field names.
 */
export function vegaSafe<T>(spec: T): T {
  return guard(spec) as T;
}

/**
 * A name as `vegaSafe` leaves it in the spec's values, for the expressions a chart writes itself
 * (`datum.label === "toString "`), which `vegaSafe` does not look into.
 */
export function vegaName(name: string): string {
  return INHERITED.has(name) ? `${name} ` : name;
}

function guard(value: unknown): unknown {
  if (typeof value === 'string') return vegaName(value);
  if (Array.isArray(value)) return value.map(guard);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, guard(inner)]));
  }
  return value;
}
