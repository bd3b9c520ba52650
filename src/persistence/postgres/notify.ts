import type pg from 'pg';

type Listener = (sessionId: string) => void;

/**
 * LISTENs on the append channel on its own (asynchronous) connection and calls the listeners
 * with the session id of each notification. Only a wake-up: readers read the table and also
 * poll, so a notification lost while this reconnects (or never sent) delays, never loses.
 */
export class AppendWatcher {
  private readonly listeners = new Set<Listener>();
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
  ) {
    void this.connect();
  }

  add(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    // Loaded here: most commands never listen, and need not load the driver.
    const { default: driver } = await import('pg');
    if (this.closed) return;
    // Keepalive: this connection only ever waits, so a peer gone silent (a partition) is found
    // only by probing it; the poll covers what is missed until then.
    const c = new driver.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, keepAlive: true, keepAliveInitialDelayMillis: 5_000, application_name: 'orchestrate-listen' });
    c.on('notification', (n) => {
      if (n.channel !== this.channel || !n.payload) return;
      for (const l of this.listeners) l(n.payload);
    });
    c.on('error', () => this.reconnect(c));
    c.on('end', () => this.reconnect(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${this.channel}`);
      if (this.closed) {
        await c.end();
        return;
      }
      this.client = c;
    } catch {
      this.reconnect(c);
    }
  }

  private reconnect(c: pg.Client): void {
    if (this.client === c) this.client = undefined;
    c.end().catch(() => undefined);
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, 1_000);
    this.retry.unref();
  }
}
