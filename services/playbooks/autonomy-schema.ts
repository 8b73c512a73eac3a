import { type Static, Type } from '@sinclair/typebox';

const Threshold = (what: string) =>
  Type.Object(
    {
      successes: Type.Integer({ minimum: 0, default: 0, description: `Verified successes (resolved outcomes, every service) needed to move to ${what}.` }),
      lcb: Type.Number({ minimum: 0, maximum: 1, default: 0, description: `Lower confidence bound of the resolve rate needed to move to ${what}.` }),
      observed: Type.Optional(
        Type.Integer({ minimum: 0, description: 'Would-run matches seen in observe mode (nothing runs there, so nothing is verified); default 0.' }),
      ),
    },
    { additionalProperties: false },
  );

/**
 * A playbook's graduated-autonomy rule: its effective mode starts at its
 * declared `mode` and the trainer moves it observe -> suggest -> auto as the
 * record meets each threshold, one step down on a `made_worse` outcome or
 * `failureStreak` failures in a row. A mode pinned through the API wins.
 */
export const AutonomySchema = Type.Object(
  {
    suggest: Threshold('suggest'),
    auto: Threshold('auto'),
    failureStreak: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'Consecutive failures that demote one mode.' })),
    confidence: Type.Optional(
      Type.Number({ minimum: 0.5, maximum: 0.999, default: 0.9, description: 'Level of the lower confidence bound (0.9: the 10% quantile).' }),
    ),
  },
  { additionalProperties: false, description: 'Graduated autonomy: promotion and demotion of the effective mode by the verified record.' },
);

/** An autonomy rule as written. */
export type AutonomySpec = Static<typeof AutonomySchema>;
