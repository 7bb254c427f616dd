/** protocol/: pure codecs (no I/O). */
export * from './iso8583';
export * from './tlv';
export * from './ttp';
