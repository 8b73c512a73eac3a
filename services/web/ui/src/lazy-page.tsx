import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A page loaded on first use (its own chunk), so the first page does not
 * download the chart library or the YAML library. `pick` takes the component
 * out of the loaded module.
 */
export function lazyPage<P extends object, M>(load: () => Promise<M>, pick: (m: M) => ComponentType<P>): (props: P) => JSX.Element {
  let loaded: ComponentType<P> | null = null;
  return function LazyPage(props: P) {
    const [C, setC] = useState<ComponentType<P> | null>(() => loaded);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
      if (C) return;
      load()
        .then((m) => {
          loaded = pick(m);
          setC(() => loaded);
        })
        .catch((e: Error) => setError(`could not load this page (${e.message}): reload`));
    }, []);
    if (error) return <p class="error">{error}</p>;
    return C ? <C {...props} /> : <p class="muted">loading…</p>;
  };
}
