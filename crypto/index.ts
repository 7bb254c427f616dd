/**
 * crypto/: the payment cryptography of poscert and the rules for card data (Luhn, PAN masking, the
 * one masker of crypto/masking.ts). Pure: no I/O, no clock, randomness only injected.
 */
export * from './errors';
export * from './ciphers';
export * from './kcv';
export * from './padding';
export * from './mac';
export * from './pinblock';
export * from './working-keys';
export * from './pan';
export * from './masking';
export * from './emv';
export * from './dukpt';
