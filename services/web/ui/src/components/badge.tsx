/** A small coloured label for a state, severity, status or outcome (`badge <kind>-<value>` for the stylesheet). */
export function Badge(props: { kind: string; value: string | null | undefined }) {
  const v = props.value ?? '-';
  return <span class={`badge ${props.kind}-${v}`}>{v.replace(/_/g, ' ')}</span>;
}
