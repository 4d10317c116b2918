// Network namespaces for tests: unique names per run, always deleted (also when a test fails).
import { execFileSync, spawnSync } from 'node:child_process';

const made = new Set<string>();
let seq = 0;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates a namespace named `ka<tag><pid>_<n>` with lo up; registered for cleanup. */
export function createNetns(tag: string): string {
  const name = `ka${tag}${process.pid}_${seq++}`.slice(0, 30);
  ip('netns', 'add', name);
  made.add(name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}

export function deleteNetns(name: string): void {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  made.delete(name);
}

/** Adds veth interfaces `names` (each with a peer `<name>p`) inside `ns`, all up: stand-ins for real NICs. */
export function addVethPairs(ns: string, names: string[]): void {
  names.forEach((n, i) => {
    ip('-n', ns, 'link', 'add', n, 'type', 'veth', 'peer', 'name', `kap${i}`);
    ip('-n', ns, 'link', 'set', n, 'up');
    ip('-n', ns, 'link', 'set', `kap${i}`, 'up');
  });
}

export function cleanupAllNetns(): void {
  for (const n of [...made]) deleteNetns(n);
}

process.once('exit', cleanupAllNetns);
