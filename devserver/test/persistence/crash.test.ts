import { openDurableLog } from '../../persistence';
import { rec, startChild, tempDir, texts } from './helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

/**
 * A child appends as fast as it can with 20 writers, printing each acknowledged id, and is killed
 * with SIGKILL mid-stream, at a different point each round. On reopen every acknowledged record must
 * be there, in acknowledgement order, with no duplicate; each writer's records form a gap-free
 * sequence (so nothing before an acknowledged record is missing); each appendMany is whole or
 * absent; and the file takes further appends.
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
    // How many unacknowledged records also reached the disk is not a property of the log (acks the
    // child wrote can still be in the pipe when it is killed), so it is not asserted.

    await log.append(rec('after-crash'));
    await log.close();
    const reopened = await openDurableLog(t.file);
    expect(reopened.records).toHaveLength(records.length + 1);
    expect(reopened.records[records.length].toString()).toBe('after-crash');
    await reopened.log.close();
  });
});
