import type { Report } from '../types.ts';

const COLORS: Record<string, string> = { healthy: '#2da44e', warming_up: '#bf8700', anomalous: '#cf222e' };

/** Places nodes on a circle, the incident's service (or the first root) in the middle. */
function layout(nodes: Report['neighbourhood']['nodes'], centre: string, w: number, h: number): Map<string, { x: number; y: number }> {
  const pos = new Map<string, { x: number; y: number }>();
  const others = nodes.filter((n) => n.service !== centre);
  pos.set(centre, { x: w / 2, y: h / 2 });
  const r = Math.max(0, Math.min(w, h) / 2 - 40);
  others.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, others.length) - Math.PI / 2;
    pos.set(n.service, { x: w / 2 + r * Math.cos(a), y: h / 2 + r * Math.sin(a) });
  });
  return pos;
}

/** The call-graph neighbourhood of the incident's service as an SVG: callers -> callees, coloured by state, roots ringed. */
export function Neighbourhood(props: { graph: Report['neighbourhood']; service: string }) {
  const { nodes, edges } = props.graph;
  if (nodes.length === 0) return <p class="muted">no calls between services were seen around this incident</p>;
  const w = 520;
  // A lone service needs no room for neighbours.
  const h = nodes.length > 1 ? 300 : 90;
  const pos = layout(nodes, props.service, w, h);
  return (
    <svg class="graph" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label="call-graph neighbourhood">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="22" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#888" />
        </marker>
      </defs>
      {edges.map((e) => {
        const a = pos.get(e.from);
        const b = pos.get(e.to);
        if (!a || !b) return null;
        return (
          <g key={`${e.from}>${e.to}`} class="edge" data-edge={`${e.from}>${e.to}`}>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} stroke={(e.errors ?? 0) > 0 ? '#cf222e' : '#999'} marker-end="url(#arrow)">
              <title>{`${e.from} -> ${e.to}: ${e.calls} calls, ${e.errors ?? 'unknown'} failed`}</title>
            </line>
            <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 4} text-anchor="middle" font-size="10" fill={(e.errors ?? 0) > 0 ? '#cf222e' : '#57606a'}>
              {`${e.calls} calls${e.errors ? `, ${e.errors} failed` : ''}`}
            </text>
          </g>
        );
      })}
      {nodes.map((n) => {
        const p = pos.get(n.service);
        if (!p) return null;
        return (
          <g key={n.service} class="node" data-service={n.service}>
            <circle cx={p.x} cy={p.y} r={12} fill={COLORS[n.state] ?? '#888'} stroke={n.root ? '#000' : 'none'} stroke-width={3} />
            <text x={p.x} y={p.y + 26} text-anchor="middle" font-size="11">
              {n.service}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
