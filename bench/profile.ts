// `node bench/.build/bench/profile.js <file.cpuprofile> [--top N] [--from ms] [--to ms]`: where a
// V8 CPU profile (from `npm run bench -- --cpu-prof`) spent its time, as text: self time per
// function, self time per package or source folder, and inclusive time of the heaviest frames.
// --from/--to keep only samples in that window (ms from the profile's start), to look at, say,
// the first second of the latency scenario alone; --callers <text> adds who called the frames
// whose label contains that text (a hot native function is only useful with its callers);
// --bins <ms> prints how busy the main thread was (and in GC) per window of that length.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const CallFrame = z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() });
const Profile = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame: CallFrame, children: z.array(z.number()).optional() })),
  startTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type Node = z.infer<typeof Profile>['nodes'][number];

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
const opt = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
if (!file) {
  process.stderr.write('usage: profile.js <file.cpuprofile> [--top N] [--from ms] [--to ms]\n');
  process.exit(2);
}
const top = opt('--top', 25);
const from = opt('--from', 0) * 1000;
const to = opt('--to', Number.POSITIVE_INFINITY) * 1000;
const binMs = opt('--bins', 0);
const bins: { busy: number; gc: number; all: number }[] = [];
const callersAt = args.indexOf('--callers');
const callersOf = callersAt >= 0 ? args[callersAt + 1] : undefined;
const profile = Profile.parse(JSON.parse(readFileSync(file, 'utf8')));

const byId = new Map<number, Node>(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** A package name, or the source folder below src/ or bench/, or V8's own labels. */
function area(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? url;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const own = /\/(src|bench|dist)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${(own[2] ?? '').split('/').slice(0, -1).join('/') || '.'}`;
  return url;
}
const label = (n: Node): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const areas = new Map<string, number>();
const inclusive = new Map<string, number>();
const callers = new Map<string, number>();
let total = 0;
let t = 0;
profile.samples.forEach((id, i) => {
  t += profile.timeDeltas[i] ?? 0;
  if (t < from || t > to) return;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  const node = byId.get(id);
  if (!node) return;
  total += dt;
  if (binMs > 0) {
    const b = (bins[Math.floor(t / 1000 / binMs)] ??= { busy: 0, gc: 0, all: 0 });
    b.all += dt;
    if (node.callFrame.functionName !== '(idle)') b.busy += dt;
    if (node.callFrame.functionName === '(garbage collector)') b.gc += dt;
  }
  self.set(label(node), (self.get(label(node)) ?? 0) + dt);
  const a = area(node.callFrame.url, node.callFrame.functionName);
  areas.set(a, (areas.get(a) ?? 0) + dt);
  // Each frame on the stack once, however often it recurses.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    const l = label(n);
    if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    seen.add(l);
    if (callersOf !== undefined && l.includes(callersOf)) {
      // The nearest two frames above it that are not the matched function itself.
      const chain: string[] = [];
      for (let up = parent.get(cur); up !== undefined && chain.length < 2; up = parent.get(up)) {
        const u = byId.get(up);
        if (u && !label(u).includes(callersOf)) chain.push(label(u));
      }
      const key = chain.join(' ← ');
      callers.set(key, (callers.get(key) ?? 0) + dt);
    }
  }
});

const table = (title: string, m: Map<string, number>): string => {
  const rows = [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return `${title}\n${rows.map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(6)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`).join('\n')}\n`;
};
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n\n`);
process.stdout.write(`${table('self time by area', areas)}\n${table('self time by function', self)}\n${table('inclusive time', inclusive)}`);
if (binMs > 0) {
  const rows = bins.map((b, i) => (b ? `${String(i * binMs).padStart(7)} ms  busy ${((b.busy / b.all) * 100).toFixed(0).padStart(3)}%  gc ${((b.gc / b.all) * 100).toFixed(0).padStart(3)}%` : ''));
  process.stdout.write(`\ntimeline (${binMs} ms bins)\n${rows.filter(Boolean).join('\n')}\n`);
}
if (callersOf !== undefined) process.stdout.write(`\n${table(`callers of "${callersOf}"`, callers)}`);
