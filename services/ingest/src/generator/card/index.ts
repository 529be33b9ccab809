export {
  CARD_GENERATOR_DEFAULTS,
  HANDBOOK,
  resolveCardGeneratorOptions,
  type CardGeneratorOptions,
  type ResolvedCardGeneratorOptions,
} from './card-options.js';
export {
  CardPopulation,
  UNITS_PER_HANDBOOK_UNIT,
  customerAccountId,
  terminalId,
  type CardCustomer,
  type CardTerminal,
} from './card-population.js';
export {
  CARD_FRAUD_TYPOLOGIES,
  CardTransactionSimulator,
  cardTransactionId,
  generateCardTransactions,
  type CardCompromise,
  type CardFraudTypology,
  type CardTransactionRecord,
} from './card-transactions.js';
