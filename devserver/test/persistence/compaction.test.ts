import { existsSync, statSync } from 'node:fs';
import { openDurableLog } from '../../persistence';
import { rec, startChild, tempDir, texts } from './helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

async function reopen(): Promise<string[]> {
  const { log, records } = await openDurableLog(t.file);
  await log.close();
  return texts(records);
}

describe('compaction', () => {
  it('replaces the log by the snapshot, and appends continue after it', async () => {
    const { log } = await openDurableLog(t.file);
    for (let i = 0; i < 100; i++) await log.append(rec(`old-${i}`));
    const before = statSync(t.file).size;
    await log.compact(['s1', 's2', 's3'].map(rec));
    expect(log.stats).toMatchObject({ records: 3, bytes: statSync(t.file).size });
    expect(statSync(t.file).size).toBeLessThan(before);
    expect(existsSync(`${t.file}.tmp`)).toBe(false);
    await log.append(rec('new'));
    expect(log.stats.records).toBe(4);
    await log.close();
    expect(await reopen()).toEqual(['s1', 's2', 's3', 'new']);
  });

  it('consumes the snapshot during the call, so a lazy view of live state is safe', async () => {
    const { log } = await openDurableLog(t.file);
    const state = ['a', 'b'];
    const snapshot = function* (): Generator<Buffer> {
      for (const s of state) yield rec(s);
    };
    const done = log.compact(snapshot());
    state.push('c'); // a change after the call must come from an append, not the snapshot
    await done;
    await log.close();
    expect(await reopen()).toEqual(['a', 'b']);
  });

  it('keeps appends racing with it: snapshot, then every record appended after the call, in order', async () => {
    const { log } = await openDurableLog(t.file);
    for (let i = 0; i < 10; i++) await log.append(rec(`old-${i}`));
    // Appended before the call but not yet durable: covered by the snapshot, acknowledged, not repeated.
    const unacked = log.append(rec('covered'));
    const snapshot = Array.from({ length: 2000 }, (_, i) => Buffer.from(`snap-${i}|${'s'.repeat(10_000)}`));
    let compacted = false;
    const compaction = log.compact(snapshot).then(() => (compacted = true));
    const after: string[] = [];
    let ackedDuring = 0;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !compacted || i < 5; i++) {
        const id = `after-${w}-${i}`;
        after.push(id);
        await log.append(rec(id));
        if (!compacted) ackedDuring++;
      }
    };
    await Promise.all([unacked, compaction, ...Array.from({ length: 4 }, (_, w) => writer(w))]);
    await log.close();

    // Appends were not stalled while the 20 MB snapshot was written.
    expect(ackedDuring).toBeGreaterThan(4);
    const records = await reopen();
    expect(records.slice(0, 2000)).toEqual(snapshot.map((s) => s.toString()));
    expect(records.slice(2000)).toEqual(after);
  });

  it('refuses a second compaction while one runs', async () => {
    const { log } = await openDurableLog(t.file);
    const first = log.compact([rec('one')]);
    await expect(log.compact([rec('two')])).rejects.toMatchObject({ code: 'BUSY' });
    await first;
    await log.compact([rec('three')]);
    await log.close();
    expect(await reopen()).toEqual(['three']);
  });

  it('leaves the old log intact and usable when it fails before the rename', async () => {
    const { log } = await openDurableLog(t.file, {
      hooks: {
        beforeCompactRename: () => {
          throw new Error('disk full');
        },
      },
    });
    await log.append(rec('old'));
    const compaction = log.compact([rec('snapshot')]);
    const during = log.append(rec('during'));
    await expect(compaction).rejects.toThrow('disk full');
    await during;
    expect(existsSync(`${t.file}.tmp`)).toBe(false);
    await log.append(rec('later'));
    await log.close();
    expect(await reopen()).toEqual(['old', 'during', 'later']);
  });

  it('survives a real crash between writing the compacted file and the rename', async () => {
    const child = startChild(['compact-crash', t.file, '50']);
    const exit = await child.exited;
    expect(exit).toMatchObject({ signal: 'SIGKILL' });
    expect(child.lines).toEqual(['appended']);
    // The crash came after the compacted file was complete.
    expect(statSync(`${t.file}.tmp`).size).toBeGreaterThan(16);
    const { log, records } = await openDurableLog(t.file);
    expect(texts(records).map((r) => r.split('|')[0])).toEqual(Array.from({ length: 50 }, (_, i) => `old:${i}`));
    expect(existsSync(`${t.file}.tmp`)).toBe(false);
    await log.compact([rec('snapshot')]);
    await log.close();
    expect(await reopen()).toEqual(['snapshot']);
  });
});
