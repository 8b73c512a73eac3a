import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../types.ts';

/** Seconds since the epoch (uPlot's x unit) of an ISO time. */
function sec(iso: string): number {
  return new Date(iso).getTime() / 1000;
}

/** The columns uPlot draws: time, observed, expected, lower, upper (null where the detector had no expectation). */
function columns(s: Series): uPlot.AlignedData {
  const pts = s.points;
  return [pts.map((p) => sec(p.t)), pts.map((p) => p.value), pts.map((p) => p.expected), pts.map((p) => p.lower), pts.map((p) => p.upper)];
}

/** Shades the incident's span (opened .. closed, or the chart's end while open) behind the lines. */
function shadeIncident(from: number, to: number | null): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => {
        const x0 = u.valToPos(from, 'x', true);
        const x1 = u.valToPos(to ?? u.scales.x?.max ?? from, 'x', true);
        const { top, height, left, width } = u.bbox;
        const a = Math.max(left, Math.min(x0, x1));
        const b = Math.min(left + width, Math.max(x0, x1));
        if (b <= a) return;
        u.ctx.save();
        u.ctx.fillStyle = 'rgba(220, 53, 69, 0.12)';
        u.ctx.fillRect(a, top, b - a, height);
        u.ctx.restore();
      },
    },
  };
}

/**
 * One feature over time: the observed value, the expected value and its band
 * (filled between lower and upper), the incident shaded. `data-points` on the
 * figure says how many points were drawn.
 */
export function SeriesChart(props: { series: Series; openedAt: string; closedAt: string | null; width?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const { series, openedAt, closedAt } = props;
  useEffect(() => {
    if (!box.current) return;
    const opts: uPlot.Options = {
      width: props.width ?? 560,
      height: 200,
      plugins: [shadeIncident(sec(openedAt), closedAt ? sec(closedAt) : null)],
      scales: { x: { time: true } },
      axes: [{}, { label: series.unit, size: 60 }],
      series: [
        {},
        { label: 'observed', stroke: '#1f6feb', width: 2, points: { show: true, size: 3 } },
        { label: 'expected', stroke: '#2da44e', dash: [6, 4], width: 1 },
        { label: 'lower', stroke: 'rgba(45,164,78,0.6)', width: 1 },
        { label: 'upper', stroke: 'rgba(45,164,78,0.6)', width: 1 },
      ],
      bands: [{ series: [4, 3], fill: 'rgba(45,164,78,0.22)' }],
    };
    const plot = new uPlot(opts, columns(series), box.current);
    return () => plot.destroy();
  }, [series, openedAt, closedAt, props.width]);
  const n = series.points.filter((p) => p.value !== null).length;
  return (
    <figure class="chart" data-feature={series.feature} data-points={n}>
      <figcaption>
        {series.feature} <span class="unit">({series.unit})</span>
      </figcaption>
      {n === 0 ? <p class="muted">no data points in this range</p> : null}
      <div ref={box} />
    </figure>
  );
}
