// Luhn (mod 10) check digits, so synthetic card numbers pass the same checks real PANs do: the suite's one implementation.
export { isLuhnValid, luhnCheckDigit } from '@vigil/contracts';
