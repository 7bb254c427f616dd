/** protocol/iso8583: generic ISO 8583 engine, the CUP POS dialect as data (fields, sub-fields, transaction catalogue), framing, MAC, helpers. */
export * from './types';
export * from './errors';
export * from './cup-dialect';
export * from './message';
export { packMessage, unpackMessage, fieldSpec, dialectFields } from './codec';
export * from './frame';
export * from './mac';
export * from './fields';
export * from './subfields';
export * from './response-codes';
export * from './bill-payment';
export * from './private-fields';
export * from './catalogue';
export * from './ic-parameters';
export * from './terminal-lists';
export * from './conformance';
export * from './dump';
export * from './icc-data';
