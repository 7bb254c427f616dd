export * from './messages';
export * from './frame';
export * from './channel';
export * from './errors';
export * from './redact';
export * from './attach';
