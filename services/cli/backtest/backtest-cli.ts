/** The command-line side of the service backtest: settings from the environment, progress and summary on stderr. */
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { runServiceBacktest } from './backtest-command.ts';

/** Runs `zeroops detect` on service history (see backtest-command.ts). */
export async function runServiceBacktestCommand(input: string, output: string, saveState: boolean): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const say = (m: string) => process.stderr.write(`${m}\n`);
  const r = await runServiceBacktest({ input, output, config, saveState, logger, progress: say });
  say(
    `scored ${r.windows} windows of ${r.services} service(s) in ${r.seconds.toFixed(1)} s (${Math.round(r.windows / Math.max(r.seconds, 1e-9))} windows/s): ` +
      `${r.anomalies} anomaly events, ${r.incidents} incidents`,
  );
  if (r.saved)
    say(
      `saved the state of ${r.saved.services} service(s) as detector checkpoints (partitions ${r.saved.partitions.join(', ')})${r.saved.neural ? ' and the neural model' : ''}`,
    );
}
