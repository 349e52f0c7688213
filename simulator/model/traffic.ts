/** Fractions (0-1) of a weighted group's traffic, by set identifier. */
export type Shares = Record<string, number>;

/**
 * Each member's share of a weighted group: weight / sum of weights; when every member weighs
 * 0, Route 53 splits traffic equally among them.
 */
export function sharesFromWeights(weights: Record<string, number>): Shares {
  const ids = Object.keys(weights);
  const total = ids.reduce((sum, id) => sum + weights[id], 0);
  return Object.fromEntries(ids.map((id) => [id, total > 0 ? weights[id] / total : 1 / ids.length]));
}

interface Movement {
  at: number;
  from: Shares;
  to: Shares;
  lagMs: number;
}

function blend(from: Shares, to: Shares, fraction: number): Shares {
  const out: Shares = {};
  for (const id of new Set([...Object.keys(from), ...Object.keys(to)])) {
    const value = (from[id] ?? 0) * (1 - fraction) + (to[id] ?? 0) * fraction;
    if (value > 0 || id in to) out[id] = value;
  }
  return out;
}

/**
 * What clients of one weighted group actually do over time: after a change is in sync, the
 * observed shares move from where they were to the new weights' shares over `lagMs` (resolver
 * caches expiring). Kept as a timeline so metrics for any past minute can be computed.
 */
export class GroupTraffic {
  private readonly movements: Movement[] = [];

  constructor(private readonly initial: Shares) {}

  /** The observed shares at `t`. */
  observedAt(t: number): Shares {
    let current: Movement | undefined;
    for (const m of this.movements) {
      if (m.at > t) break;
      current = m;
    }
    if (current === undefined) return { ...this.initial };
    const fraction = current.lagMs <= 0 ? 1 : Math.min(1, Math.max(0, (t - current.at) / current.lagMs));
    return blend(current.from, current.to, fraction);
  }

  /** From `at` on, the observed shares move to `target` over `lagMs`. */
  moveTo(target: Shares, at: number, lagMs: number): void {
    this.dropAfter(at);
    this.movements.push({ at, from: this.observedAt(at), to: { ...target }, lagMs });
  }

  /** Stops movement at `at`: what clients do then, they keep doing; later scheduled moves are dropped. */
  freeze(at: number): void {
    const held = this.observedAt(at);
    this.dropAfter(at);
    this.movements.push({ at, from: held, to: held, lagMs: 0 });
  }

  private dropAfter(at: number): void {
    while (this.movements.length > 0 && this.movements[this.movements.length - 1].at > at) this.movements.pop();
  }
}
