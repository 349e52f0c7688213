/**
 * The on-disk format of a durable log (all integers little-endian):
 *
 * ```
 * file   := header frame*
 * header := magic "CLOPSLOG" (8 bytes) | version u32 (=1) | crc32(magic, version) u32      16 bytes
 * frame  := length u32 | crc32(payload) u32 | crc32(length, payload crc) u32 | payload    12 + length bytes
 * payload:= (recordLength u32 | record)*
 * ```
 *
 * One frame is one write followed by one fdatasync (a group commit), so records appended together
 * survive a crash together, and only the last frame of a file can ever be unsynced. The header CRC
 * lets replay trust a frame's length before reading its payload: a bit flip in a length must not
 * make the rest of the log look like a torn tail.
 */
import { crc32 } from './crc32';

/** Identifies a cellops durable log; the Temporal CLI's own `--db-filename` files are SQLite. */
export const MAGIC = Buffer.from('CLOPSLOG', 'latin1');
/** The only format version this code writes and reads. */
export const VERSION = 1;
/** Bytes in the file header. */
export const FILE_HEADER_BYTES = 16;
/** Bytes in each frame header. */
export const FRAME_HEADER_BYTES = 12;
/** Bytes in front of each record inside a frame. */
export const RECORD_PREFIX_BYTES = 4;
/** Largest frame payload accepted on write or replay; replay reads a whole frame into memory. */
export const MAX_FRAME_PAYLOAD_BYTES = 1 << 30;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Returns the 16-byte file header. */
export function encodeFileHeader(): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  return header;
}

/** Checks a file header; returns a message saying what is wrong, or undefined when it is valid. */
export function checkFileHeader(header: Buffer): string | undefined {
  if (header.length >= SQLITE_MAGIC.length && header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    return 'is a SQLite database (the Temporal CLI format), not a cellops durable log; use another file';
  }
  if (header.length < FILE_HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
    return `is not a cellops durable log (bad magic: expected "${MAGIC.toString('latin1')}")`;
  }
  if (header.readUInt32LE(12) !== crc32(header.subarray(0, 12))) return 'has a corrupt header (CRC mismatch)';
  const version = header.readUInt32LE(8);
  if (version !== VERSION) return `has format version ${version}; this build reads version ${VERSION} only`;
  return undefined;
}

/** Bytes a frame holding `records` takes on disk. */
export function frameBytes(records: readonly Uint8Array[]): number {
  let bytes = FRAME_HEADER_BYTES;
  for (const record of records) bytes += RECORD_PREFIX_BYTES + record.length;
  return bytes;
}

/** Encodes `records` as one frame. */
export function encodeFrame(records: readonly Uint8Array[]): Buffer {
  const total = frameBytes(records);
  const payloadBytes = total - FRAME_HEADER_BYTES;
  if (payloadBytes > MAX_FRAME_PAYLOAD_BYTES) {
    throw new RangeError(`a frame of ${payloadBytes} bytes exceeds the limit of ${MAX_FRAME_PAYLOAD_BYTES}`);
  }
  const frame = Buffer.allocUnsafe(total);
  let at = FRAME_HEADER_BYTES;
  for (const record of records) {
    frame.writeUInt32LE(record.length, at);
    frame.set(record, at + RECORD_PREFIX_BYTES);
    at += RECORD_PREFIX_BYTES + record.length;
  }
  frame.writeUInt32LE(payloadBytes, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  frame.writeUInt32LE(crc32(frame.subarray(0, 8)), 8);
  return frame;
}

/** A frame header read back; `valid` is false when its own CRC does not match. */
export interface FrameHeader {
  valid: boolean;
  payloadBytes: number;
  payloadCrc: number;
}

/** Decodes the 12 bytes of a frame header. */
export function decodeFrameHeader(bytes: Buffer): FrameHeader {
  const payloadBytes = bytes.readUInt32LE(0);
  const payloadCrc = bytes.readUInt32LE(4);
  const valid = bytes.readUInt32LE(8) === crc32(bytes.subarray(0, 8)) && payloadBytes <= MAX_FRAME_PAYLOAD_BYTES;
  return { valid, payloadBytes, payloadCrc };
}

/**
 * Splits a frame payload whose CRC matched into copies of its records (copies, so a record kept by
 * the caller does not pin the read buffer), appending them to `into`. Returns false, adding
 * nothing, if the record lengths do not add up to the payload.
 */
export function decodeFramePayload(payload: Buffer, into: Buffer[]): boolean {
  let at = 0;
  const added: Buffer[] = [];
  while (at < payload.length) {
    if (payload.length - at < RECORD_PREFIX_BYTES) return false;
    const length = payload.readUInt32LE(at);
    at += RECORD_PREFIX_BYTES;
    if (length > payload.length - at) return false;
    added.push(Buffer.from(payload.subarray(at, at + length)));
    at += length;
  }
  for (const record of added) into.push(record);
  return true;
}
