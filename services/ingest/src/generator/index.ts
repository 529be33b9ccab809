export { formatMinorUnits } from './amounts.js';
export {
  GENERATOR_DEFAULTS,
  generateTransactions,
  generatedTransactionId,
  resolveGeneratorOptions,
  type GeneratorOptions,
  type ResolvedGeneratorOptions,
} from './generate-transactions.js';
export { isLuhnValid, luhnCheckDigit } from './luhn.js';
export {
  CHANNELS,
  MARKET_REGIONS,
  MARKETS,
  distanceKm,
  type CardNetwork,
  type GeneratedChannel,
  type MarketRegion,
} from './markets.js';
export {
  FRAUD_TYPOLOGIES,
  type FraudTypology,
  type GeneratedLabels,
  type GeneratedParty,
  type GeneratedRecord,
  type TransactionType,
} from './records.js';
export { Rng } from './rng.js';
export { PopulationExhaustedError } from './simulation.js';
