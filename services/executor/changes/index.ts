/** Managed changes (rollouts): requests, the quiet window, apply, watch, undo. */
export { ACTIVE_CHANGE_STATES, cancelChange, createChange, getChange, runChangeNow } from './change-repo.ts';
export { type ChangeRunDeps, driveChange } from './change-runner.ts';
export { assertChangeRequest, CHANGE_STEP_TYPES, ChangeRequestSchema, type ChangeSpec, sustainSecondsOf } from './change-spec.ts';
export {
  ANOMALOUS_SCORE,
  baselineOf,
  type ChangeBaseline,
  DEFAULT_SUSTAIN_SECONDS,
  judgeWatch,
  MIN_WATCH_WINDOWS,
  WATCHED_FEATURES,
  type WatchBaseline,
  type WatchVerdict,
  type WatchWindow,
} from './change-watch.ts';
export { type ChangeWorker, createChangeWorker } from './change-worker.ts';
