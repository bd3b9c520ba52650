// The relay behind TcpPartition (tcp-partition.ts), in its own process so that a synchronous
// PostgreSQL store blocking the test's thread cannot stop it. A TCP relay on 127.0.0.1 to
// 127.0.0.1:<argv[2]>; stdin takes "cut" and "heal" (answered "ok <cmd>" on stdout). While cut,
// no byte moves in either direction and no connection is closed, as when a network path drops
// packets and TCP keeps retransmitting; healing lets the waiting bytes through, intact.
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const target = Number(process.argv[2]);
const held = [];
let cut = false;
const forward = (to, chunk) => (cut ? held.push({ to, chunk }) : to.write(chunk));
// While cut, an end is held back like the bytes before it (it travels with them).
const close = (to) => (cut ? held.push({ to, chunk: null }) : to.destroy());

const server = createServer((client) => {
  const upstream = connect(target, '127.0.0.1');
  const link = (from, to) => {
    from.on('error', () => undefined);
    from.on('data', (chunk) => forward(to, chunk));
    from.on('close', () => close(to));
  };
  link(client, upstream);
  link(upstream, client);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`));

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cut') cut = true;
  if (line === 'heal') {
    cut = false;
    for (const { to, chunk } of held.splice(0)) {
      if (to.destroyed) continue;
      if (chunk === null) to.destroy();
      else to.write(chunk);
    }
  }
  process.stdout.write(`ok ${line}\n`);
});
process.stdin.on('end', () => process.exit(0));
