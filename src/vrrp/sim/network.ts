// The shared segment of a simulated cluster: multicast reaches every other node unless the link
// between the two is cut (a partition is a set of cuts). Each link has a one-way delay and an
// optional loss rate; maxConsecutive bounds how many adverts in a row a link may lose, which is
// how tests stay below the RFC's tolerance of 3 missed adverts.

import type { Prng } from './prng.js';

export interface LinkLoss {
  /** Probability of losing one advert, 0-1. */
  prob: number;
  /** Never lose more than this many adverts in a row on this link and direction. */
  maxConsecutive: number;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export class Segment {
  private cuts = new Set<string>();
  private delays = new Map<string, number>();
  private losses = new Map<string, LinkLoss>();
  private defaultLoss: LinkLoss | null = null;
  private consecutive = new Map<string, number>();

  constructor(
    private readonly rng: Prng,
    private readonly defaultDelayUs: number,
  ) {}

  cut(a: string, b: string): void {
    this.cuts.add(pairKey(a, b));
  }

  heal(a: string, b: string): void {
    this.cuts.delete(pairKey(a, b));
  }

  /** Cut every link between different groups (nodes not listed keep their links). */
  partition(groups: string[][]): void {
    for (let x = 0; x < groups.length; x++) {
      for (let y = x + 1; y < groups.length; y++) {
        for (const a of groups[x]) for (const b of groups[y]) this.cut(a, b);
      }
    }
  }

  healAll(): void {
    this.cuts.clear();
  }

  connected(a: string, b: string): boolean {
    return !this.cuts.has(pairKey(a, b));
  }

  setDelay(a: string, b: string, us: number): void {
    this.delays.set(pairKey(a, b), Math.max(0, us));
  }

  /** Loss on one link, or on every link when a and b are omitted; null removes it. */
  setLoss(loss: LinkLoss | null, a?: string, b?: string): void {
    if (a === undefined || b === undefined) this.defaultLoss = loss;
    else if (loss) this.losses.set(pairKey(a, b), loss);
    else this.losses.delete(pairKey(a, b));
  }

  /** The delivery delay of one packet from -> to, or null when the packet is lost or cannot pass. */
  transmit(from: string, to: string): number | null {
    const key = pairKey(from, to);
    if (this.cuts.has(key)) return null;
    const loss = this.losses.get(key) ?? this.defaultLoss;
    const dir = `${from}>${to}`;
    if (loss) {
      const run = this.consecutive.get(dir) ?? 0;
      if (run < loss.maxConsecutive && this.rng.chance(loss.prob)) {
        this.consecutive.set(dir, run + 1);
        return null;
      }
    }
    this.consecutive.set(dir, 0);
    return this.delays.get(key) ?? this.defaultDelayUs;
  }
}
