/** protocol/tlv: BER-TLV for field 55 and other EMV data. */
export * from './tlv';
