import { existsSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { DurableLogError, openDurableLog } from '../../persistence';
import { crc32, crc32Table } from '../../persistence/crc32';
import { rec, tempDir, texts } from './helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe('crc32', () => {
  it('matches the standard check value, natively and by table, also when continued', () => {
    const data = Buffer.from('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Table(data)).toBe(0xcbf43926);
    expect(crc32Table(data.subarray(4), crc32Table(data.subarray(0, 4)))).toBe(0xcbf43926);
    const random = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    expect(crc32Table(random)).toBe(crc32(random));
  });
});

describe('durable log', () => {
  it('creates a file, and replays what was appended, byte for byte', async () => {
    const big = Buffer.alloc(3 << 20, 7); // larger than a group-commit batch
    const first = await openDurableLog(t.file);
    expect(first.records).toEqual([]);
    await first.log.append(rec('one'));
    await first.log.append(Buffer.alloc(0));
    await first.log.appendMany([rec('two'), big, rec('three')]);
    await first.log.appendMany([]);
    expect(first.log.stats).toMatchObject({ records: 5, bytes: statSync(t.file).size });
    await first.log.close();

    const second = await openDurableLog(t.file);
    expect(second.truncatedBytes).toBe(0);
    expect(second.records).toHaveLength(5);
    expect(texts([second.records[0], second.records[1], second.records[2], second.records[4]])).toEqual(['one', '', 'two', 'three']);
    expect(second.records[3].equals(big)).toBe(true);
    expect(second.log.stats).toMatchObject({ records: 5, bytes: statSync(t.file).size });
    await second.log.append(rec('four'));
    await second.log.close();
    expect(texts((await reopenAndClose(t.file)).slice(-1))).toEqual(['four']);
  });

  it('writes records in call order under concurrent appends', async () => {
    const { log } = await openDurableLog(t.file);
    const called: string[] = [];
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        const id = `${w}:${i}`;
        called.push(id);
        if (i % 5 === 4) {
          called.push(`${id}b`);
          await log.appendMany([rec(id), rec(`${id}b`)]);
        } else {
          await log.append(rec(id));
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, w) => writer(w)));
    await log.close();
    expect(texts(await reopenAndClose(t.file))).toEqual(called);
  });

  it('batches concurrent appends into one write and one sync (group commit)', async () => {
    const { log } = await openDurableLog(t.file);
    const before = log.stats.syncs;
    await Promise.all(Array.from({ length: 50 }, async (_, w) => {
      for (let i = 0; i < 20; i++) await log.append(rec(`${w}:${i}`));
    }));
    const concurrentSyncs = log.stats.syncs - before;
    expect(log.stats.records).toBe(1000);
    expect(concurrentSyncs).toBeLessThan(1000 / 5);

    // A lone writer cannot be batched: one sync per append, so the counter counts real syncs.
    const lone = log.stats.syncs;
    for (let i = 0; i < 20; i++) await log.append(rec(`lone:${i}`));
    expect(log.stats.syncs - lone).toBe(20);
    await log.close();
  });

  it('splits a burst larger than maxBatchBytes into several frames', async () => {
    const { log } = await openDurableLog(t.file, { maxBatchBytes: 1000 });
    const before = log.stats.syncs;
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(Buffer.alloc(96, i))));
    // 100 bytes a record on disk, at most 10 a frame.
    expect(log.stats.syncs - before).toBeGreaterThanOrEqual(10);
    await log.close();
    expect(await reopenAndClose(t.file)).toEqual(Array.from({ length: 100 }, (_, i) => Buffer.alloc(96, i)));
  });

  it('close waits for pending appends, then refuses new ones', async () => {
    const { log } = await openDurableLog(t.file);
    const pending = Array.from({ length: 10 }, (_, i) => log.append(rec(`p${i}`)));
    const closed = log.close();
    await expect(log.append(rec('late'))).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(log.compact([])).rejects.toBeInstanceOf(DurableLogError);
    await Promise.all([...pending, closed]);
    await log.close(); // idempotent
    expect(texts(await reopenAndClose(t.file))).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`));
  });

  it('after a failed sync, rejects pending and later appends; reopening recovers what was acknowledged', async () => {
    const { log } = await openDurableLog(t.file);
    await log.append(rec('acked'));
    const probe = await fsp.open(t.file, 'r');
    const fileHandleProto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const spy = jest.spyOn(fileHandleProto, 'datasync').mockRejectedValueOnce(new Error('EIO: i/o error'));
    try {
      const failing = log.append(rec('unknown'));
      await new Promise((resolve) => setImmediate(resolve)); // its write is in flight: 'queued' waits
      const queued = log.append(rec('queued'));
      await expect(failing).rejects.toMatchObject({ code: 'FAILED', message: expect.any(String) as string });
      await expect(queued).rejects.toMatchObject({ code: 'FAILED' });
      await expect(log.append(rec('later'))).rejects.toMatchObject({ code: 'FAILED' });
      await expect(log.compact([])).rejects.toMatchObject({ code: 'FAILED' });
    } finally {
      spy.mockRestore();
    }
    await log.close();
    expect(existsSync(`${t.file}.lock`)).toBe(false);
    // 'unknown' reached the page cache before its sync failed; it may or may not be there.
    expect(texts(await reopenAndClose(t.file)).filter((r) => r !== 'unknown')).toEqual(['acked']);
  });

  it('rejects records that are not bytes instead of writing zeros', async () => {
    const { log } = await openDurableLog(t.file);
    await expect(log.append('text' as unknown as Buffer)).rejects.toThrow(TypeError);
    await log.append(rec('ok'));
    await log.close();
    expect(texts(await reopenAndClose(t.file))).toEqual(['ok']);
  });
});

async function reopenAndClose(file: string): Promise<Buffer[]> {
  const { log, records } = await openDurableLog(file);
  await log.close();
  return records;
}
