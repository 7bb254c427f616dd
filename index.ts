/**
 * poscert as a library: the CUP ISO 8583 codec and dialect, BER-TLV, the Terminal Test Protocol
 * codec and the payment cryptography, for scripting outside the certification runner.
 *
 *   import { unpackMessage, dumpMessage, cupEcbMac } from 'poscert';
 */
export * from './errors';
export * from './protocol/iso8583';
export * from './protocol/tlv';
export * as ttp from './protocol/ttp';
export * from './crypto';
