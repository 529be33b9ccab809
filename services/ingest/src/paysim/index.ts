export {
  PaysimCsvError,
  PaysimCsvReader,
  parsePaysimHeader,
  parsePaysimLine,
  type PaysimCsvReaderOptions,
} from './csv-reader.js';
export { formatPaysimCsvRow, paysimStep, toPaysimRow } from './csv-writer.js';
export { toPaysimJsonRecord, type PaysimJsonContext, type PaysimJsonRecord } from './paysim-json.js';
export {
  PAYSIM_COLUMNS,
  PAYSIM_CSV_HEADER,
  PAYSIM_MONEY_COLUMNS,
  PAYSIM_TYPES,
  type PaysimColumn,
  type PaysimRow,
  type PaysimType,
} from './paysim-row.js';
