import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a server, that can be partitioned: while cut, no byte
 * moves in either direction and no connection is closed, as when a network path drops
 * packets and TCP keeps retransmitting; healing lets the waiting bytes through, intact. Only loopback addresses are used.
 */
export class TcpPartition {
  private readonly sockets = new Set<Socket>();
  /** Bytes held back while cut, per direction, in order: delivered intact when healed. */
  private readonly held: { to: Socket; chunk: Buffer }[] = [];
  private cut = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpPartition> {
    const relay: { it?: TcpPartition } = {};
    const server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const link = (from: Socket, to: Socket): void => {
        relay.it?.sockets.add(from);
        from.on('error', () => undefined);
        from.on('data', (chunk: Buffer) => relay.it?.forward(to, chunk));
        from.on('close', () => {
          relay.it?.sockets.delete(from);
          to.destroy();
        });
      };
      link(client, upstream);
      link(upstream, client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    relay.it = new TcpPartition(server, typeof address === 'object' && address ? address.port : 0);
    return relay.it;
  }

  private forward(to: Socket, chunk: Buffer): void {
    if (this.cut) this.held.push({ to, chunk });
    else to.write(chunk);
  }

  partition(): void {
    this.cut = true;
  }

  heal(): void {
    this.cut = false;
    for (const { to, chunk } of this.held.splice(0)) if (!to.destroyed) to.write(chunk);
  }

  async close(): Promise<void> {
    this.held.length = 0;
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
