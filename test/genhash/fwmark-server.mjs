// Servers for the fwmark tests, run inside the server namespace under `ip netns exec`: an echo
// server, an HTTP server and an HTTPS one (key/cert from argv[2]), all on every address. Prints
// {"echo":port,"http":port,"https":port} once listening; exits when stdin closes.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';

const certDir = process.argv[2];
const body = 'a page behind a firewall mark\n';
const page = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

function http(c) {
  c.on('error', () => undefined);
  let req = '';
  c.on('data', (d) => {
    req += d.toString('latin1');
    if (!req.includes('\r\n\r\n')) return;
    const path = req.split(' ')[1] ?? '';
    req = '\0';
    if (path === '/text') c.end(page);
    else c.end('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here\n');
  });
}

const listen = (server) =>
  new Promise((resolve) => server.listen({ port: 0, host: '::', ipv6Only: false }, () => resolve(server.address().port)));

const echo = net.createServer((c) => {
  c.on('error', () => undefined);
  c.pipe(c);
});
const plain = net.createServer(http);
const secure = tls.createServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, http);
secure.on('tlsClientError', () => undefined);
const ports = { echo: await listen(echo), http: await listen(plain), https: await listen(secure) };
process.stdout.write(JSON.stringify(ports) + '\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
