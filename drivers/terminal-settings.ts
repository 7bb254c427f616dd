/**
 * TTP `config` members a lab sets on test firmware (docs/terminal-test-protocol.md): the terminal's
 * identity and master key as a key-loading device would inject them. Pure: the steps that switch a
 * terminal to another identity or a wrong key build their settings here.
 */
import type { TerminalConfig } from '../host';

/** A key as the x-tmk member carries it: upper-case hex. */
export function keyHex(key: Buffer): string {
  return key.toString('hex').toUpperCase();
}

/** A configured terminal's identity and TMK as config members, for the key scheme the firmware is to use. */
export function identitySettings(t: Pick<TerminalConfig, 'terminalId' | 'merchantId' | 'tmk'>, keyScheme: 'tdes' | 'sm4'): Record<string, string> {
  return { terminalId: t.terminalId, merchantId: t.merchantId, 'x-tmk': keyHex(t.tmk.reveal()), 'x-keyScheme': keyScheme };
}

/** A wrong key injection: every bit of the key flipped. */
export function flippedKey(key: Buffer): Buffer {
  return Buffer.from(key.map((b) => b ^ 0xff));
}
