/**
 * Pairing codes: 8 characters from an alphabet without the look-alikes 0/O and 1/I, drawn with
 * crypto.randomInt (a cryptographic RNG, no modulo bias). Codes are case-insensitive on input.
 */
import { randomInt } from 'node:crypto';

export const PAIRING_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const PAIRING_CODE_LENGTH = 8;

/** `random(max)` returns an integer in [0, max); default crypto.randomInt. */
export function generatePairingCode(random: (max: number) => number = randomInt): string {
  let code = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) {
    code += PAIRING_CODE_ALPHABET[random(PAIRING_CODE_ALPHABET.length)] ?? '';
  }
  return code;
}

/** What the operator typed, in the stored form: trimmed, upper-cased. */
export function canonicalPairingCode(input: string): string {
  return input.trim().toUpperCase();
}

/** True when `code` (canonical form) could have been issued by generatePairingCode. */
export function isPairingCodeShape(code: string): boolean {
  return code.length === PAIRING_CODE_LENGTH && [...code].every((c) => PAIRING_CODE_ALPHABET.includes(c));
}
