import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { openDurableLog } from '../../persistence';
import { crc32 } from '../../persistence/crc32';
import { rec, tempDir, texts } from './helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const TEN = Array.from({ length: 10 }, (_, i) => `record-${i}`);

/** Writes TEN as ten separate frames; returns each frame's offset and the file's end. */
async function writeTen(): Promise<{ offsets: number[]; end: number }> {
  const { log } = await openDurableLog(t.file);
  for (const text of TEN) await log.append(rec(text));
  await log.close();
  const bytes = readFileSync(t.file);
  const offsets: number[] = [];
  for (let at = 16; at < bytes.length; at += 12 + bytes.readUInt32LE(at)) offsets.push(at);
  expect(offsets).toHaveLength(10);
  return { offsets, end: bytes.length };
}

async function reopen(): Promise<{ records: string[]; truncatedBytes: number }> {
  const { log, records, truncatedBytes } = await openDurableLog(t.file);
  await log.close();
  return { records: texts(records), truncatedBytes };
}

/** The error openDurableLog fails with (or a failure if it opens). */
async function openError(): Promise<{ code?: string; message: string; offset?: number }> {
  const err: unknown = await openDurableLog(t.file).then(
    async ({ log }) => {
      await log.close();
      return new Error('opened');
    },
    (e: unknown) => e,
  );
  return err as { code?: string; message: string; offset?: number };
}

function flipByte(offset: number): void {
  const bytes = readFileSync(t.file);
  bytes[offset] ^= 0x40;
  writeFileSync(t.file, bytes);
}

describe('torn tail', () => {
  it('drops a last frame cut at any byte, and the log stays usable', async () => {
    const { offsets, end } = await writeTen();
    const last = offsets[9];
    const original = readFileSync(t.file);
    for (let cut = last + 1; cut < end; cut++) {
      writeFileSync(t.file, original.subarray(0, cut));
      const { log, records, truncatedBytes } = await openDurableLog(t.file);
      expect({ cut, records: texts(records) }).toEqual({ cut, records: TEN.slice(0, 9) });
      expect(truncatedBytes).toBe(cut - last);
      expect(statSync(t.file).size).toBe(last);
      await log.append(rec('after'));
      await log.close();
      expect((await reopen()).records).toEqual([...TEN.slice(0, 9), 'after']);
    }
  });

  it('drops an appendMany whole when its frame is torn', async () => {
    await writeTen();
    const { log } = await openDurableLog(t.file);
    await log.appendMany([rec('a'), rec('b'), rec('c')]);
    await log.close();
    truncateSync(t.file, statSync(t.file).size - 1);
    expect((await reopen()).records).toEqual(TEN);
  });

  it('treats a complete last frame with a bad payload CRC as torn (pages lost in a power cut)', async () => {
    const { offsets, end } = await writeTen();
    flipByte(end - 2);
    expect(await reopen()).toEqual({ records: TEN.slice(0, 9), truncatedBytes: end - offsets[9] });
  });

  it('treats zeros after the last frame as torn (a file extended without its data)', async () => {
    const { end } = await writeTen();
    appendFileSync(t.file, Buffer.alloc(5000));
    expect(await reopen()).toEqual({ records: TEN, truncatedBytes: 5000 });
    expect(statSync(t.file).size).toBe(end);
  });
});

describe('corruption', () => {
  it('fails on a bad payload CRC in the middle, naming the offset, and leaves the file alone', async () => {
    const { offsets, end } = await writeTen();
    flipByte(offsets[3] + 12 + 5);
    const err = await openError();
    expect(err).toMatchObject({ code: 'CORRUPT', offset: offsets[3] });
    expect(err.message).toContain(`byte offset ${offsets[3]}`);
    expect(statSync(t.file).size).toBe(end);
    expect(existsSync(`${t.file}.lock`)).toBe(false); // a failed open releases the lock
  });

  it('fails on a frame length corrupted to run past the end, instead of truncating the rest', async () => {
    const { offsets, end } = await writeTen();
    flipByte(offsets[2] + 1); // length += 16 KiB: without the header CRC this would pass for a torn tail
    await expect(openDurableLog(t.file)).rejects.toMatchObject({ code: 'CORRUPT', offset: offsets[2] });
    expect(statSync(t.file).size).toBe(end);
  });

  it('fails on garbage after the last frame that is not zeros', async () => {
    const { end } = await writeTen();
    appendFileSync(t.file, Buffer.alloc(100, 0xab));
    await expect(openDurableLog(t.file)).rejects.toMatchObject({ code: 'CORRUPT', offset: end });
  });
});

describe('file format', () => {
  it('rejects a file with the wrong magic', async () => {
    writeFileSync(t.file, 'hello, this is not a log at all');
    const err = await openError();
    expect(err.code).toBe('BAD_FORMAT');
    expect(err.message).toContain('bad magic');
    expect(readFileSync(t.file, 'utf8')).toBe('hello, this is not a log at all');
  });

  it('says so when handed the Temporal CLI\'s SQLite file', async () => {
    writeFileSync(t.file, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(84)]));
    const err = await openError();
    expect(err.code).toBe('BAD_FORMAT');
    expect(err.message).toContain('SQLite');
  });

  it('rejects another format version', async () => {
    const header = Buffer.alloc(16);
    header.write('CLOPSLOG', 'latin1');
    header.writeUInt32LE(2, 8);
    header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
    writeFileSync(t.file, header);
    const err = await openError();
    expect(err.code).toBe('BAD_FORMAT');
    expect(err.message).toContain('version 2');
  });

  it('initializes an existing empty file', async () => {
    writeFileSync(t.file, '');
    const { log, records } = await openDurableLog(t.file);
    expect(records).toEqual([]);
    await log.append(rec('x'));
    await log.close();
    expect((await reopen()).records).toEqual(['x']);
  });
});

describe('lock', () => {
  const lockFile = (): string => `${t.file}.lock`;

  it('refuses a second open in the same process, and frees the file on close', async () => {
    const { log } = await openDurableLog(t.file);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n${hostname()}\n`);
    const err = await openError();
    expect(err.code).toBe('LOCKED');
    expect(err.message).toContain('already open in this process');
    await log.close();
    expect(existsSync(lockFile())).toBe(false);
    await (await openDurableLog(t.file)).log.close();
  });

  it('refuses a file locked by another live process, naming it', async () => {
    writeFileSync(lockFile(), `${process.ppid}\n${hostname()}\n`);
    const err = await openError();
    expect(err.code).toBe('LOCKED');
    expect(err.message).toContain(`in use by process ${process.ppid}`);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n${hostname()}\n`);
    expect(existsSync(t.file)).toBe(false);
  });

  it('takes over a lock whose process is gone, or that names this pid from an earlier life', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    for (const stale of [`${dead}\n${hostname()}\n`, `${process.pid}\n${hostname()}\n`, 'garbage']) {
      writeFileSync(lockFile(), stale);
      const { log } = await openDurableLog(t.file);
      expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n${hostname()}\n`);
      await log.close();
    }
  });
});
