import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/**
 * A TCP relay on 127.0.0.1 in front of a server, that can be partitioned: while cut, no byte
 * moves in either direction and no connection is closed, as when a network path drops packets
 * and TCP keeps retransmitting; healing lets the waiting bytes through, intact. Only loopback
 * addresses are used. It runs in a process of its own (`tcp-relay.mjs`): a synchronous store in
 * the test's own thread blocks that thread's event loop, which would stop an in-process relay.
 */
export class TcpPartition {
  private readonly waiting: ((line: string) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    lines: Interface,
  ) {
    lines.on('line', (line) => this.waiting.shift()?.(line));
  }

  static async start(targetPort: number): Promise<TcpPartition> {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'tcp-relay.mjs'), String(targetPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
    if (!child.stdout) throw new Error('the relay has no stdout');
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve) => lines.once('line', resolve));
    const port = Number(/^port (\d+)$/.exec(first)?.[1]);
    if (!port) throw new Error(`the relay did not start: ${first}`);
    return new TcpPartition(child, port, lines);
  }

  private command(cmd: 'cut' | 'heal'): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(() => resolve());
      this.child.stdin?.write(`${cmd}\n`);
    });
  }

  partition(): Promise<void> {
    return this.command('cut');
  }

  heal(): Promise<void> {
    return this.command('heal');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    this.child.kill();
    await exited;
  }
}
