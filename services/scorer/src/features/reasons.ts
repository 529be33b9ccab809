// The reason code and plain-language explanation an analyst sees when a feature drove a score up.
import type { FeatureName } from './features.js';

export interface ReasonText {
  code: string;
  message: string;
  field?: string;
}

export const REASONS: Record<FeatureName, ReasonText> = {
  type_code: {
    code: 'RISKY_TYPE',
    message: 'transaction type often used to move stolen money',
    field: 'type',
  },
  currency_code: { code: 'CURRENCY', message: 'amount is unusual for this currency', field: 'currency' },
  log_amount: { code: 'AMOUNT', message: 'amount is unusual for this kind of transaction', field: 'amount' },
  drain_ratio: { code: 'DRAINS_BALANCE', message: 'moves most of the balance out', field: 'amount' },
  empties_account: {
    code: 'EMPTIES_ACCOUNT',
    message: 'leaves the account empty',
    field: 'origin.balance_after',
  },
  balance_error_orig: {
    code: 'BALANCE_ERROR_ORIG',
    message: 'origin balance did not move by the amount',
    field: 'origin.balance_after',
  },
  balance_error_dest: {
    code: 'BALANCE_ERROR_DEST',
    message: 'destination balance did not move by the amount',
    field: 'destination.balance_after',
  },
  dest_balance_unchanged: {
    code: 'DEST_BALANCE_UNCHANGED',
    message: 'destination balance stayed the same',
    field: 'destination.balance_after',
  },
  out_count_1m: { code: 'VELOCITY_1M', message: 'many payments from this account in the last minute' },
  out_count_1h: { code: 'VELOCITY_1H', message: 'many payments from this account in the last hour' },
  out_count_24h: { code: 'VELOCITY_24H', message: 'many payments from this account in the last day' },
  out_log_sum_1h: { code: 'SPEND_1H', message: 'much money out of this account in the last hour' },
  distinct_payees_1h: { code: 'MANY_PAYEES_1H', message: 'paid many different payees in the last hour' },
  log_seconds_since_last_out: { code: 'TIME_SINCE_LAST', message: 'unusual gap since the last payment' },
  log_history_count: {
    code: 'LITTLE_HISTORY',
    message: 'account has little or no history',
    field: 'origin.account',
  },
  amount_zscore: {
    code: 'AMOUNT_VS_HISTORY',
    message: 'amount far from this account’s usual',
    field: 'amount',
  },
  new_payee: { code: 'NEW_PAYEE', message: 'first payment to this payee', field: 'destination.account' },
  inbound_count_24h: { code: 'INBOUND_24H', message: 'received unusually many payments in the last day' },
  inbound_senders_24h: { code: 'FAN_IN', message: 'received money from many senders in the last day' },
  inbound_same_amount_24h: {
    code: 'TRANSFER_THEN_CASH_OUT',
    message: 'moves on exactly an amount it just received',
    field: 'origin.account',
  },
  amount_over_inbound_24h: {
    code: 'PASS_THROUGH',
    message: 'sends on what it just received',
    field: 'amount',
  },
  log_seconds_since_inbound: { code: 'QUICK_PASS_THROUGH', message: 'pays out soon after receiving money' },
  country_changed: {
    code: 'IMPOSSIBLE_GEOGRAPHY',
    message: 'card used in another country',
    field: 'merchant.country',
  },
  log_minutes_since_country: {
    code: 'COUNTRY_HOP_TIME',
    message: 'too little time since the card was used elsewhere',
    field: 'merchant.country',
  },
  countries_1h: {
    code: 'MANY_COUNTRIES',
    message: 'card paid in several countries within the hour',
    field: 'merchant.country',
  },
  log_inbound_ever: { code: 'MANY_INBOUND', message: 'account receives from unusually many payers' },
  cash_out_share: { code: 'CASH_OUT_PROFILE', message: 'account mostly cashes money out' },
  dest_log_inbound_ever: {
    code: 'COLLECTOR_DESTINATION',
    message: 'payee receives from unusually many payers',
    field: 'destination.account',
  },
  dest_cash_out_share: {
    code: 'CASH_OUT_DESTINATION',
    message: 'payee mostly cashes money out',
    field: 'destination.account',
  },
  dest_inbound_senders_24h: {
    code: 'MULE_DESTINATION',
    message: 'payee received money from many senders in the last day',
    field: 'destination.account',
  },
  dest_inbound_count_1h: {
    code: 'BUSY_DESTINATION',
    message: 'payee received many payments in the last hour',
    field: 'destination.account',
  },
  dest_log_history_count: {
    code: 'DESTINATION_HISTORY',
    message: 'payee account behaves unlike a normal customer',
    field: 'destination.account',
  },
  local_hour: { code: 'TIME_OF_DAY', message: 'unusual time of day for a payment', field: 'timestamp' },
  weekend_local: { code: 'WEEKEND', message: 'weekend payment', field: 'timestamp' },
  night_local: { code: 'NIGHT', message: 'paid at night, local time', field: 'timestamp' },
  out_mean_amount_24h: { code: 'SPEND_24H', message: 'unusual average payment over the last day' },
  out_count_7d: { code: 'VELOCITY_7D', message: 'unusual number of payments in the last week' },
  out_mean_amount_7d: { code: 'SPEND_7D', message: 'unusual average payment over the last week' },
  out_count_30d: { code: 'VELOCITY_30D', message: 'unusual number of payments in the last 30 days' },
  out_mean_amount_30d: { code: 'SPEND_30D', message: 'unusual average payment over the last 30 days' },
  amount_over_mean_30d: {
    code: 'AMOUNT_VS_30D',
    message: 'amount far above this card’s or account’s usual payment',
    field: 'amount',
  },
  origin_fraud_known_30d: {
    code: 'KNOWN_COMPROMISED_PAYER',
    message: 'confirmed fraud on this card or account in the last 30 days',
    field: 'origin.account',
  },
  origin_log_hours_since_fraud: {
    code: 'RECENT_FRAUD_PAYER',
    message: 'shortly after confirmed fraud on this card or account',
    field: 'origin.account',
  },
  dest_count_1d: { code: 'MERCHANT_VOLUME_1D', message: 'unusual volume at this merchant today' },
  dest_count_7d: { code: 'MERCHANT_VOLUME_7D', message: 'unusual volume at this merchant this week' },
  dest_count_30d: { code: 'MERCHANT_VOLUME_30D', message: 'unusual volume at this merchant this month' },
  dest_mean_amount_30d: { code: 'MERCHANT_AMOUNTS', message: 'unusual amounts at this merchant' },
  amount_over_dest_mean_30d: {
    code: 'AMOUNT_VS_MERCHANT',
    message: 'amount far above what this merchant usually takes',
    field: 'amount',
  },
  dest_fraud_known_7d: {
    code: 'MERCHANT_FRAUD_7D',
    message: 'confirmed fraud at this merchant or terminal in the last week',
    field: 'destination.account',
  },
  dest_fraud_known_30d: {
    code: 'MERCHANT_FRAUD_30D',
    message: 'confirmed fraud at this merchant or terminal in the last 30 days',
    field: 'destination.account',
  },
  dest_fraud_share_7d: {
    code: 'MERCHANT_RISK_7D',
    message: 'a large share of this merchant’s or terminal’s payments this week were fraud',
    field: 'destination.account',
  },
  dest_fraud_share_30d: {
    code: 'MERCHANT_RISK_30D',
    message: 'a large share of this merchant’s or terminal’s payments this month were fraud',
    field: 'destination.account',
  },
  dest_log_hours_since_fraud: {
    code: 'MERCHANT_RECENT_FRAUD',
    message: 'shortly after confirmed fraud at this merchant or terminal',
    field: 'destination.account',
  },
};
