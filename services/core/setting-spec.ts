import type { Static, TSchema } from '@sinclair/typebox';

/**
 * One setting: where it comes from (environment variable, or the same key in
 * the optional config file), its type, default and meaning. The README's
 * settings table documents exactly this list.
 */
export interface SettingSpec<K extends string = string, S extends TSchema = TSchema> {
  /** Environment variable, e.g. `ZEROOPS_API_PORT`. */
  env: string;
  /** Key in the config file and in {@link Config}, e.g. `apiPort`. */
  key: K;
  /** What a value must be; {@link Config}'s field type is derived from it. */
  schema: S;
  /** The value when neither the environment nor the config file sets it. */
  default: Static<S>;
  /** One or two sentences for the README's settings table. */
  description: string;
}

/** Declares one setting, keeping its key and schema types so {@link Config} can be derived from the table. */
export function setting<const K extends string, S extends TSchema>(spec: SettingSpec<K, S>): SettingSpec<K, S> {
  return spec;
}

/**
 * The values a list of settings yields, keyed by each setting's `key` and
 * typed by its schema: the type is read off the table, never re-listed.
 */
export type SettingsValues<T extends readonly SettingSpec[]> = { -readonly [S in T[number] as S['key']]: Static<S['schema']> };
