/** Managed changes (rollouts): requests, the quiet window, apply, watch, undo. */
export { ACTIVE_CHANGE_STATES, cancelChange, createChange, getChange, runChangeNow } from './change-repo.ts';
export { type ChangeRunDeps, driveChange } from './change-runner.ts';
export { assertChangeRequest, CHANGE_STEP_TYPES, ChangeRequestSchema, type ChangeSpec } from './change-spec.ts';
export { baselineOf, type ChangeBaseline, judgeWatch, MIN_WATCH_WINDOWS, WATCHED_FEATURES, type WatchVerdict } from './change-watch.ts';
export { type ChangeWorker, createChangeWorker } from './change-worker.ts';
