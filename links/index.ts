/** links/: byte links chosen by URL through the link registry (one file per link kind). */
export * from './errors';
export * from './types';
export * from './url';
export * from './registry';
export * from './emu';
export * from './tcp';
export * from './rfc2217';
export * from './serial';
export * from './faults';
export * from './reconnect';
export * from './scheduler';
export * from './open';
export * from './testbeds';
