/**
 * Mutations of the data files a scenario reads (traces, empirical columns, capacity and price
 * traces, profiles), CSV or JSONL: bad cells, missing and renamed columns, short and long rows,
 * huge numbers, unsorted or negative times, empty and header-only files, broken JSON.
 */
import type { Rng } from './random.js';

const BAD_CELLS = [
  'abc',
  '',
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  '-1',
  '-0',
  '1e308',
  '1e400',
  '-1e400',
  '0x10',
  ' 5 ',
  '"5"',
  'null',
  'true',
  '１２',
  '1_000',
  '1e-400',
  '9'.repeat(400),
  '5e',
  '.',
  '+5',
  '2023-13-45 25:61:61',
  '2023-11-16T18:15:46Z',
  '2023-11-16 18:15:46.6805900',
  '2023-11-16T18:15:46+05:00',
  '0000-00-00 00:00:00',
  '9999-12-31 23:59:59',
  '1970-01-01',
  'yesterday',
  '\u001b[31m',
];

const HUGE = ['1e15', '1e308', '9007199254740993', '4294967297', '1e12', '2147483648', '1e21'];

interface Table {
  header: string[];
  rows: string[][];
  /** The text after the last newline (kept when it is not empty: a file without a final newline). */
  trailing: boolean;
}

function parseCsv(text: string): Table {
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const [header = '', ...rows] = lines;
  return { header: header.split(','), rows: rows.map((r) => r.split(',')), trailing };
}

function writeCsv(t: Table): string {
  const lines = [t.header.join(','), ...t.rows.map((r) => r.join(','))];
  return `${lines.join('\n')}${t.trailing ? '\n' : ''}`;
}

type Mutation = (rng: Rng, text: string) => { text: string; description: string } | null;

const csvMutation: Mutation = (rng, text) => {
  const t = parseCsv(text);
  const column = rng.int(0, Math.max(0, t.header.length - 1));
  const row = t.rows.length > 0 ? rng.int(0, t.rows.length - 1) : -1;
  const what = rng.weighted<string>([
    ['bad-cell', 5],
    ['huge-cell', 3],
    ['drop-column', 2],
    ['drop-header-cell', 1],
    ['rename-column', 2],
    ['duplicate-column-name', 1],
    ['swap-header', 1],
    ['short-row', 2],
    ['long-row', 2],
    ['unsorted', 3],
    ['negative-time', 2],
    ['equal-times', 1],
    ['header-only', 2],
    ['empty', 2],
    ['blank-lines', 1],
    ['no-header', 1],
    ['quoted', 1],
    ['many-rows', 1],
  ]);
  switch (what) {
    case 'bad-cell':
    case 'huge-cell': {
      if (row < 0) return null;
      const value = rng.pick(what === 'bad-cell' ? BAD_CELLS : HUGE);
      t.rows[row][column] = value;
      return {
        text: writeCsv(t),
        description: `row ${row + 2} column ${column + 1} = ${JSON.stringify(value)}`,
      };
    }
    case 'drop-column':
      t.header.splice(column, 1);
      for (const r of t.rows) r.splice(column, 1);
      return { text: writeCsv(t), description: `drop column ${column + 1}` };
    case 'drop-header-cell':
      t.header.splice(column, 1);
      return { text: writeCsv(t), description: `drop header cell ${column + 1}` };
    case 'rename-column': {
      const name = rng.pick([
        '',
        'x',
        ` ${t.header[column]}`,
        t.header[column].toLowerCase(),
        '"quoted"',
        '\ufeffTIMESTAMP',
      ]);
      t.header[column] = name;
      return { text: writeCsv(t), description: `rename column ${column + 1} to ${JSON.stringify(name)}` };
    }
    case 'duplicate-column-name':
      t.header[(column + 1) % t.header.length] = t.header[column];
      return { text: writeCsv(t), description: `duplicate column name ${t.header[column]}` };
    case 'swap-header':
      t.header.reverse();
      return { text: writeCsv(t), description: 'header reversed' };
    case 'short-row':
      if (row < 0) return null;
      t.rows[row] = t.rows[row].slice(0, rng.int(0, Math.max(0, t.rows[row].length - 1)));
      return { text: writeCsv(t), description: `row ${row + 2} cut short` };
    case 'long-row':
      if (row < 0) return null;
      t.rows[row].push(...Array<string>(rng.pick([1, 3, 1000])).fill('7'));
      return { text: writeCsv(t), description: `row ${row + 2} with extra cells` };
    case 'unsorted': {
      if (t.rows.length < 2) return null;
      const how = rng.pick(['reverse', 'swap', 'last-first']);
      if (how === 'reverse') t.rows.reverse();
      else if (how === 'swap') {
        const j = rng.int(0, t.rows.length - 1);
        [t.rows[row], t.rows[j]] = [t.rows[j], t.rows[row]];
      } else t.rows.unshift(t.rows.pop()!);
      return { text: writeCsv(t), description: `rows unsorted (${how})` };
    }
    case 'negative-time':
      if (row < 0) return null;
      t.rows[row][0] = rng.pick(['-1', '-1e9', '-0.5', '-1e308']);
      return { text: writeCsv(t), description: `row ${row + 2} negative first cell` };
    case 'equal-times':
      for (const r of t.rows) r[0] = t.rows[0][0];
      return { text: writeCsv(t), description: 'every row at the same time' };
    case 'header-only':
      return { text: `${t.header.join(',')}${rng.chance(0.5) ? '\n' : ''}`, description: 'header only' };
    case 'empty':
      return { text: rng.pick(['', '\n', '\n\n', ' ', '\r\n']), description: 'empty' };
    case 'blank-lines': {
      const lines = text.split('\n');
      lines.splice(rng.int(1, lines.length), 0, '', '   ', '');
      return { text: lines.join('\n'), description: 'blank lines inside' };
    }
    case 'no-header':
      return { text: writeCsv({ ...t, header: t.rows.shift() ?? [] }), description: 'header removed' };
    case 'quoted': {
      if (row < 0) return null;
      t.rows[row][column] = rng.pick(['"1', '"1,2"', '"a""b"', '"\n"', '"5"']);
      return { text: writeCsv(t), description: `row ${row + 2} quoted cell` };
    }
    default: {
      const more = Array.from({ length: 2000 }, (_, i) => t.rows[i % Math.max(1, t.rows.length)] ?? []);
      return {
        text: writeCsv({ ...t, rows: [...t.rows, ...more] }),
        description: '2000 more rows, times repeated',
      };
    }
  }
};

function jsonLine(rng: Rng, line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (record === null || typeof record !== 'object') return line;
  const keys = Object.keys(record);
  const key = keys.length > 0 ? rng.pick(keys) : 'timestamp';
  return rng.weighted<() => string>([
    [
      () =>
        JSON.stringify({
          ...record,
          [key]: rng.pick(['12', 'abc', null, true, [], { a: 1 }, -1, 1e308, '1e400']),
        }),
      5,
    ],
    [() => line.replace(/(-?\d+(\.\d+)?)/, rng.pick(HUGE)), 3],
    [
      () => {
        const copy = { ...record };
        delete copy[key];
        return JSON.stringify(copy);
      },
      2,
    ],
    [
      () =>
        rng.pick([
          '{',
          '[]',
          '5',
          'null',
          '"str"',
          '{"a":1,}',
          '// comment',
          '{"timestamp":1,"timestamp":2}',
        ]),
      3,
    ],
    [() => `${line.slice(0, -1)}, "extra": "${'z'.repeat(rng.pick([10, 100_000]))}"}`, 1],
    [() => line.replace(/1/g, '1e400'), 1],
  ])();
}

const jsonlMutation: Mutation = (rng, text) => {
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const what = rng.weighted<string>([
    ['line', 8],
    ['unsorted', 2],
    ['empty', 2],
    ['blank-lines', 1],
    ['one-line', 1],
  ]);
  if (what === 'line' && lines.length > 0) {
    const i = rng.int(0, lines.length - 1);
    lines[i] = jsonLine(rng, lines[i]);
    return { text: `${lines.join('\n')}\n`, description: `line ${i + 1} changed` };
  }
  if (what === 'unsorted' && lines.length > 1) {
    lines.reverse();
    return { text: `${lines.join('\n')}\n`, description: 'lines reversed' };
  }
  if (what === 'blank-lines') {
    lines.splice(rng.int(0, lines.length), 0, '', ' ');
    return { text: `${lines.join('\n')}\n`, description: 'blank lines inside' };
  }
  if (what === 'one-line') return { text: lines[0] ?? '', description: 'first line only, no newline' };
  return { text: rng.pick(['', '\n', ' \n']), description: 'empty' };
};

export function mutateData(
  rng: Rng,
  name: string,
  text: string,
): { text: string; description: string } | null {
  return (/\.jsonl$/i.test(name) ? jsonlMutation : csvMutation)(rng, text);
}
