/** protocol/ttp: the Terminal Test Protocol — messages, framing, the reliable channel, errors. */
export * from './messages';
export * from './frame';
export * from './channel';
export * from './errors';
export * from './attach';
export * from './signature';
