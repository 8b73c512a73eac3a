/** Episodes (pure): when a run of anomalous scores opens, continues, closes or flaps. */
export { DEFAULT_EPISODE, type EpisodeConfig, type EpisodeEvent, type EpisodeState, EpisodeTracker, type EpisodeUpdate } from './episode.ts';
