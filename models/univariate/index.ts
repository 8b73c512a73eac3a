/** The univariate detector of `zeroops detect` (pure), with its ARTime shape part, level shift, rarity and record rules. */
export { type ArtimeConfig, ArtimeDetector, type ArtimeState, DEFAULT_ARTIME } from './artime-detector.ts';
export { DEFAULT_UNIVARIATE, type UnivariateConfig, UnivariateDetector, type UnivariateState } from './univariate-detector.ts';
