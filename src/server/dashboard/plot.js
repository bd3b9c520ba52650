// Event rate and token use over time, on a canvas: events per 10 s as bars, cumulative tokens as a line.

const BUCKET_MS = 10_000;

export class ActivityPlot {
  constructor(canvas) {
    this.canvas = canvas;
    this.buckets = new Map();
    this.tokens = [];
    this.total = 0;
  }

  add(e) {
    const t = Date.parse(e.timestamp);
    if (Number.isNaN(t)) return;
    const b = Math.floor(t / BUCKET_MS);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    if (e.usage) {
      this.total += e.usage.inputTokens + e.usage.outputTokens;
      this.tokens.push([t, this.total]);
    }
  }

  draw() {
    const { canvas } = this;
    const ctx = canvas.getContext('2d');
    const w = (canvas.width = canvas.clientWidth || canvas.width);
    const h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const keys = [...this.buckets.keys()];
    if (keys.length === 0) return;
    const first = Math.min(...keys);
    const last = Math.max(...keys, Math.floor(Date.now() / BUCKET_MS));
    const span = Math.max(1, last - first + 1);
    const maxCount = Math.max(...this.buckets.values());
    const bw = w / span;
    ctx.fillStyle = '#58a6ff';
    for (const [k, n] of this.buckets) {
      const bh = (n / maxCount) * (h - 20);
      ctx.fillRect((k - first) * bw, h - bh, Math.max(1, bw - 1), bh);
    }
    if (this.tokens.length > 0) {
      ctx.strokeStyle = '#d29922';
      ctx.lineWidth = 2;
      ctx.beginPath();
      const x = (t) => ((t / BUCKET_MS - first) / span) * w;
      const y = (v) => h - (v / Math.max(1, this.total)) * (h - 20);
      ctx.moveTo(x(this.tokens[0][0]), h);
      for (const [t, v] of this.tokens) ctx.lineTo(x(t), y(v));
      ctx.stroke();
    }
    ctx.fillStyle = '#8a96a3';
    ctx.font = '11px sans-serif';
    ctx.fillText(`max ${maxCount} events/10s · ${this.total} tokens`, 6, 12);
  }
}
