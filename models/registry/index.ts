/**
 * The model registry's maths (pure): the labelled set of a neural version
 * built from stored windows, its offline training, its figures, and the
 * shadow gate that decides whether a candidate replaces the active version.
 */
export { type LabelledFigures, labelledFigures, quantile } from './evaluate.ts';
export { DEFAULT_GATE, type GateDecision, type GateInput, type GateOptions, gateDecision } from './gate.ts';
export { errorsOf, liveState, type TrainOptions, trainVersion } from './train.ts';
export { buildTrainingSet, holdOut, type LabelledWindow, type Rows, type TrainingSet } from './training-set.ts';
