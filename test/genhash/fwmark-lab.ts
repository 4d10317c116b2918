// Two namespaces for the fwmark tests: a client and a server joined by one veth pair. The client
// has NO route to the server in its main tables: only policy routing for fwmark MARK (ip rule ->
// table 100) reaches it. So a connection that gets through carried the mark on its packets, and
// the same connection without the mark fails with "network unreachable".
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, ip } from '../helpers/netns.js';
import { requireDist } from '../helpers/dist.js';

export const MARK = 0xabcd;
export const SERVER4 = '198.51.100.1';
export const SERVER6 = '2001:db8:5::1';
export const ROOT = new URL('../..', import.meta.url).pathname;

export interface FwmarkLab {
  client: string;
  server: string;
  ports: { echo: number; http: number; https: number };
  close(): void;
}

/** Children run the compiled code; vitest's global setup builds it once. */
export function buildDist(): void {
  requireDist('dist/src/net/marked-socket.js');
}

export async function makeFwmarkLab(): Promise<FwmarkLab> {
  const client = createNetns('fmc');
  const server = createNetns('fms');
  let srv: ChildProcess | undefined;
  const certDir = mkdtempSync(join(tmpdir(), 'fwmark-cert-'));
  const close = (): void => {
    if (srv?.pid && srv.exitCode === null) srv.kill('SIGKILL');
    deleteNetns(client);
    deleteNetns(server);
    rmSync(certDir, { recursive: true, force: true });
  };
  try {
    ip('link', 'add', 'fmc0', 'netns', client, 'type', 'veth', 'peer', 'name', 'fms0', 'netns', server);
    ip('-n', client, 'addr', 'add', '198.51.100.2/24', 'dev', 'fmc0', 'noprefixroute');
    ip('-n', client, 'addr', 'add', '2001:db8:5::2/64', 'dev', 'fmc0', 'noprefixroute', 'nodad');
    ip('-n', server, 'addr', 'add', `${SERVER4}/24`, 'dev', 'fms0');
    ip('-n', server, 'addr', 'add', `${SERVER6}/64`, 'dev', 'fms0', 'nodad');
    ip('-n', client, 'link', 'set', 'fmc0', 'up');
    ip('-n', server, 'link', 'set', 'fms0', 'up');
    ip('-n', client, 'route', 'add', '198.51.100.0/24', 'dev', 'fmc0', 'table', '100');
    ip('-n', client, '-6', 'route', 'add', '2001:db8:5::/64', 'dev', 'fmc0', 'table', '100');
    ip('-n', client, 'rule', 'add', 'fwmark', `0x${MARK.toString(16)}`, 'table', '100');
    ip('-n', client, '-6', 'rule', 'add', 'fwmark', `0x${MARK.toString(16)}`, 'table', '100');
    spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fwmark.example',
      '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore', timeout: 60_000 });
    srv = spawn('ip', ['netns', 'exec', server, 'node', join(ROOT, 'test/genhash/fwmark-server.mjs'), certDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    const proc = srv;
    const ports = await new Promise<FwmarkLab['ports']>((resolve, reject) => {
      let out = '';
      let err = '';
      const t = setTimeout(() => reject(new Error(`fwmark server did not start in 15 s: ${err}`)), 15_000);
      proc.stderr!.on('data', (d) => (err += d.toString()));
      proc.stdout!.on('data', (d) => {
        out += d.toString();
        if (!out.includes('\n')) return;
        clearTimeout(t);
        resolve(JSON.parse(out.split('\n')[0]!));
      });
      proc.once('exit', (code) => reject(new Error(`fwmark server exited ${code}: ${err}`)));
    });
    return { client, server, ports, close };
  } catch (e) {
    close();
    throw e;
  }
}
