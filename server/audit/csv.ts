/** CSV in and out: RFC 4180 quoting, UTF-8 with BOM for Excel, no formula injection. */

export const BOM = '\uFEFF';

export type Cell = string | number | boolean | null | undefined;

/**
 * A text cell that a spreadsheet would run as a formula (=, +, -, @, or a leading tab/CR)
 * gets a leading apostrophe, so a school named "=HYPERLINK(...)" stays text in Excel.
 * Numbers are written as numbers: -3 is data, not a formula.
 */
function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

function quote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One table as CSV lines (no BOM): a header row, then one line per row. */
export function csvLines(header: readonly string[], rows: readonly (readonly Cell[])[]): string[] {
  return [header, ...rows].map((r) => r.map((c) => quote(cellText(c))).join(','));
}

/** A whole CSV document, UTF-8 with BOM and CRLF line ends (what Excel expects). */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return BOM + csvLines(header, rows).join('\r\n') + '\r\n';
}

export interface CsvRecord {
  /** 1-based row number as a spreadsheet shows it (the header is row 1). */
  row: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
}

/**
 * Parses RFC 4180 CSV (quoted fields, "" escapes, CRLF or LF, newlines inside quotes).
 * Strips a leading BOM. Blank lines are skipped but still counted in row numbers.
 */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.startsWith(BOM) ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let row = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let recordRow = 1;
  let sawQuote = false;
  const endCell = () => {
    cells.push(cell);
    cell = '';
    sawQuote = false;
  };
  const endRecord = () => {
    endCell();
    if (!(cells.length === 1 && cells[0] === '')) records.push({ row: recordRow, cells });
    cells = [];
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') row++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (cell !== '' || sawQuote) throw new CsvSyntaxError(`row ${row}: unexpected quote inside a field`);
      quoted = true;
      sawQuote = true;
    } else if (ch === ',') endCell();
    else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      endRecord();
      row++;
      recordRow = row;
    } else {
      if (sawQuote) throw new CsvSyntaxError(`row ${row}: text after a closing quote`);
      cell += ch;
    }
  }
  if (quoted) throw new CsvSyntaxError(`row ${recordRow}: unterminated quoted field`);
  if (cell !== '' || cells.length > 0 || sawQuote) endRecord();
  return records;
}
