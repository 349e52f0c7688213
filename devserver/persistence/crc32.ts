import * as zlib from 'node:zlib';

/** CRC-32 (IEEE 802.3, the zlib/PNG polynomial), optionally continuing from a previous value. */
export type Crc32 = (data: Uint8Array, previous?: number) => number;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Table-driven CRC-32; the fallback for Node releases before 20.15, which lack `zlib.crc32`. */
export const crc32Table: Crc32 = (data, previous = 0) => {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
};

// `zlib.crc32` exists from Node 20.15 (native, several times faster); package.json allows any Node 20.
const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `data`, using `zlib.crc32` when the running Node has it. */
export const crc32: Crc32 = typeof native === 'function' ? (data, previous = 0) => native(data, previous) : crc32Table;
