// The supervisor's part in BFD: the BFD child's session states, relayed to the VRRP and checker
// children that want them (bfd_instance's vrrp/checker keywords) and kept, so a (re)started child
// learns them in its start message instead of starting with every session Down.
import type { ParentMessage } from './ipc.js';

type Role = 'vrrp' | 'checker';

export class BfdRelay {
  private readonly states = new Map<string, { up: boolean; vrrp: boolean; checker: boolean }>();

  constructor(private readonly send: (role: Role, m: ParentMessage) => void) {}

  /** A 'bfd-state' from the BFD child (fields checked: the channel is trusted, its content is not). */
  onState(m: { name: unknown; up: unknown; vrrp: unknown; checker: unknown }): void {
    if (typeof m.name !== 'string' || typeof m.up !== 'boolean') return;
    const s = { up: m.up, vrrp: m.vrrp === true, checker: m.checker === true };
    this.states.set(m.name, s);
    for (const role of ['vrrp', 'checker'] as const) if (s[role]) this.send(role, { type: 'bfd-state', name: m.name, up: m.up });
  }

  /** For a child's start message; undefined when nothing is known. */
  startStates(role: Role): Record<string, boolean> | undefined {
    const out = [...this.states].filter(([, s]) => s[role]).map(([n, s]) => [n, s.up] as const);
    return out.length > 0 ? Object.fromEntries(out) : undefined;
  }

  clear(): void {
    this.states.clear();
  }
}
