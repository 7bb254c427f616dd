/** crypto/: the payment cryptography of poscert (pure: no I/O, no clock, randomness only injected). */
export * from './errors';
export * from './ciphers';
export * from './kcv';
export * from './padding';
export * from './mac';
export * from './pinblock';
export * from './working-keys';
export * from './pan';
export * from './emv';
export * from './dukpt';
