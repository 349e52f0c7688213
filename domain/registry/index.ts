export * from './schema';
export * from './load-registry';
export * from './lookup';
export * from './records';
