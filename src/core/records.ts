/**
 * `record[key]` when the record has that key of its own, else undefined. Names users write (a
 * fleet called `constructor`) index records built with plain objects, whose prototype would
 * answer for a key that one variant has and another lacks.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
