/** The univariate detector of `zeroops detect` (pure), with its ARTime shape part, level shift, rarity and record rules. */
export { type ArtimeConfig, ArtimeDetector, type ArtimeState, DEFAULT_ARTIME } from './artime-detector.ts';
export { DEFAULT_UNIVARIATE, type UnivariateConfig, type UnivariateState } from './univariate-config.ts';
export { UnivariateDetector } from './univariate-detector.ts';
