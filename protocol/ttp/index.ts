export * from './messages';
export * from './frame';
export * from './channel';
export * from './errors';
export * from './attach';
