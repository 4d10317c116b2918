// plan(actual, desired): the fewest IPVS operations that turn the kernel's table into the desired
// one. Pure. Like keepalived, it adopts what is already there (a matching service or destination
// is kept; a differing one is edited in place, which the kernel allows for every field that is not
// part of the key) and leaves alone what the config does not name: foreign services, and foreign
// destinations inside a configured service. Deleting a service takes its destinations with it.
// Order (deterministic): destination deletions, service deletions, service edits, service additions,
// destination edits, destination additions; within a step, in desired (config) order, deletions
// in the order the kernel listed them.
import {
  destKey, destSettingsEqual, serviceKey, serviceSettingsEqual, type ServiceId, type Table, type TableDest, type TableService,
} from './table.js';

export type ServiceSettings = Omit<TableService, 'dests'>;
export type Op =
  | { op: 'add-service'; service: ServiceSettings }
  | { op: 'edit-service'; service: ServiceSettings; from: ServiceSettings }
  | { op: 'delete-service'; service: ServiceSettings }
  | { op: 'add-dest'; service: ServiceId; dest: TableDest }
  | { op: 'edit-dest'; service: ServiceId; dest: TableDest; from: TableDest }
  | { op: 'delete-dest'; service: ServiceId; dest: TableDest }
  | { op: 'flush' };

export interface PlanOptions {
  /** Services not to touch when present (ha_suspend while not MASTER). */
  held?: ReadonlySet<string>;
  /** Destinations the config names, per service key; others in a configured service are foreign. */
  managed?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Services this node made earlier and no longer wants (a reload removed them): deleted. */
  stale?: ReadonlySet<string>;
  /** Own the whole table (keepalived's lvs_flush): anything not desired is deleted. */
  exclusive?: boolean;
}

const settings = ({ dests: _d, ...s }: TableService): ServiceSettings => s;
const idOf = (s: ServiceId): ServiceId => ({ af: s.af, protocol: s.protocol, addr: s.addr, port: s.port, fwmark: s.fwmark });

export function plan(actual: Table, desired: Table, opts: PlanOptions = {}): Op[] {
  const have = new Map(actual.services.map((s) => [serviceKey(s), s]));
  const want = new Map(desired.services.map((s) => [serviceKey(s), s]));
  const delDests: Op[] = [];
  const delSvcs: Op[] = [];
  const editSvcs: Op[] = [];
  const addSvcs: Op[] = [];
  const editDests: Op[] = [];
  const addDests: Op[] = [];
  for (const [k, a] of have) {
    if (!want.has(k) && (opts.exclusive || opts.stale?.has(k))) delSvcs.push({ op: 'delete-service', service: settings(a) });
  }
  for (const [k, d] of want) {
    const a = have.get(k);
    if (!a) {
      addSvcs.push({ op: 'add-service', service: settings(d) });
      for (const dest of d.dests) addDests.push({ op: 'add-dest', service: idOf(d), dest });
      continue;
    }
    if (opts.held?.has(k)) continue;
    if (!serviceSettingsEqual(a, d)) editSvcs.push({ op: 'edit-service', service: settings(d), from: settings(a) });
    const haveD = new Map(a.dests.map((x) => [destKey(x), x]));
    const wantD = new Set(d.dests.map((x) => destKey(x)));
    const managed = opts.managed?.get(k);
    for (const [dk, x] of haveD) {
      if (wantD.has(dk)) continue;
      if (opts.exclusive || !managed || managed.has(dk)) delDests.push({ op: 'delete-dest', service: idOf(d), dest: x });
    }
    for (const x of d.dests) {
      const cur = haveD.get(destKey(x));
      if (!cur) addDests.push({ op: 'add-dest', service: idOf(d), dest: x });
      else if (!destSettingsEqual(cur, x)) editDests.push({ op: 'edit-dest', service: idOf(d), dest: x, from: cur });
    }
  }
  return [...delDests, ...delSvcs, ...editSvcs, ...addSvcs, ...editDests, ...addDests];
}

/** What keepalived does at exit: remove the services it made ('full' flushes the whole table). */
export function shutdownPlan(actual: Table, own: ReadonlySet<string>, mode: 'services' | 'full' = 'services'): Op[] {
  if (mode === 'full') return actual.services.length ? [{ op: 'flush' }] : [];
  return actual.services.filter((s) => own.has(serviceKey(s))).map((s) => ({ op: 'delete-service', service: settings(s) }));
}

/**
 * Applies operations to a table as the kernel would; an operation the kernel would refuse
 * (EEXIST, ENOENT) is reported instead of applied. Pure: used by tests and dry runs.
 */
export function applyOps(t: Table, ops: readonly Op[]): { table: Table; errors: string[] } {
  const services = t.services.map((s) => ({ ...s, dests: s.dests.map((d) => ({ ...d })) }));
  const errors: string[] = [];
  const find = (id: ServiceId) => services.findIndex((s) => serviceKey(s) === serviceKey(id));
  for (const o of ops) {
    if (o.op === 'flush') { services.length = 0; continue; }
    const i = find(o.service);
    const s = services[i];
    const name = `${o.op} ${serviceKey(o.service)}${'dest' in o ? ` -> ${destKey(o.dest)}` : ''}`;
    if (o.op === 'add-service') {
      if (s) errors.push(`${name}: exists`);
      else services.push({ ...o.service, dests: [] });
      continue;
    }
    if (!s) { errors.push(`${name}: no such service`); continue; }
    if (o.op === 'edit-service') services[i] = { ...o.service, dests: s.dests };
    else if (o.op === 'delete-service') services.splice(i, 1);
    else {
      const j = s.dests.findIndex((d) => destKey(d) === destKey(o.dest));
      if (o.op === 'add-dest') {
        if (j >= 0) errors.push(`${name}: exists`);
        else s.dests.push({ ...o.dest });
      } else if (j < 0) errors.push(`${name}: no such destination`);
      else if (o.op === 'edit-dest') s.dests[j] = { ...o.dest };
      else s.dests.splice(j, 1);
    }
  }
  return { table: { services }, errors };
}

/** One line per operation, in ipvsadm's words. */
export function describeOp(o: Op): string {
  if (o.op === 'flush') return 'flush';
  const svc = serviceKey(o.service);
  switch (o.op) {
    case 'add-service': case 'edit-service': case 'delete-service': {
      const s = o.service;
      const extra = o.op === 'delete-service' ? '' : ` ${s.sched}${s.timeout ? ` persistent ${s.timeout}` : ''}${s.flags ? ` flags 0x${s.flags.toString(16)}` : ''}`;
      return `${o.op} ${svc}${extra}`;
    }
    default: {
      const d = o.dest;
      const fwd = ['masq', 'local', 'tunnel', 'route', 'bypass'][d.fwd] ?? String(d.fwd);
      return `${o.op} ${svc} -> ${destKey(d)}${o.op === 'delete-dest' ? '' : ` ${fwd} weight ${d.weight}`}`;
    }
  }
}
