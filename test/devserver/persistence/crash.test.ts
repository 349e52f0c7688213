import { openDurableLog } from '../../../devserver/persistence';
import { rec, startChild, tempDir, texts } from './helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

/**
 * A child appends as fast as it can with 20 writers, printing each acknowledged id, and is killed
 * with SIGKILL mid-stream, at a different point each round. On reopen every acknowledged record must
 * be there, in acknowledgement order; each writer's records form a gap-free sequence; each
 * appendMany is whole or absent; and the file takes further appends.
 */
describe('crash durability', () => {
  it.each([150, 400, 900])('keeps every acknowledged record after SIGKILL %i acks in', async (acks) => {
    const child = startChild(['append', t.file, '20']);
    await child.waitForLine((line) => line === 'ready');
    const ready = child.lines.length;
    await child.waitForLine(() => child.lines.length >= ready + acks);
    child.kill();
    expect((await child.exited).signal).toBe('SIGKILL');
    const acked = child.lines.slice(ready);
    expect(acked.length).toBeGreaterThanOrEqual(acks);

    const { log, records } = await openDurableLog(t.file);
    const ids = texts(records).map((r) => r.split('|')[0]);
    const position = new Map(ids.map((id, i) => [id, i]));
    expect(position.size).toBe(ids.length); // no duplicates

    // Every acknowledged id is present, in the order it was acknowledged.
    let previous = -1;
    for (const id of acked) {
      const at = position.get(id) ?? position.get(`${id}:a`);
      expect({ id, present: at !== undefined }).toEqual({ id, present: true });
      expect(at).toBeGreaterThan(previous);
      previous = at ?? previous;
    }

    // Per writer: 0, 1, 2, ... with no gap; appendMany groups (every third) whole.
    const next = new Map<string, number>();
    for (let i = 0; i < ids.length; i++) {
      const [w, n, part] = ids[i].split(':');
      expect(Number(n)).toBe(next.get(w) ?? 0);
      if (Number(n) % 3 === 2) {
        expect(part).toBe('a');
        expect(ids.slice(i, i + 3)).toEqual(['a', 'b', 'c'].map((p) => `${w}:${n}:${p}`));
        i += 2;
      }
      next.set(w, Number(n) + 1);
    }
    // Beyond its acknowledged appends, a writer can have only its one in-flight append on disk.
    const ackedBy = new Map<string, number>();
    for (const id of acked) ackedBy.set(id.split(':')[0], (ackedBy.get(id.split(':')[0]) ?? 0) + 1);
    for (const [w, written] of next) expect(written - (ackedBy.get(w) ?? 0)).toBeLessThanOrEqual(1);

    await log.append(rec('after-crash'));
    await log.close();
    const reopened = await openDurableLog(t.file);
    expect(reopened.records).toHaveLength(records.length + 1);
    expect(reopened.records[records.length].toString()).toBe('after-crash');
    await reopened.log.close();
  });
});
