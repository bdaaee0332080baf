/**
 * One training run at a time, driven from VS Code: starts the trainer process, shows its
 * progress (status bar, a cancellable notification, the "BERT Tune" log), asks before training
 * with the trainer's estimate, and reports how the run ended. Stopping, a crash and deactivation
 * all end in a saved checkpoint where the trainer can still save one.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { currentSettings } from '../config';
import { SHUTDOWN_SAVE_MS, type FromTrainer, type TrainConfig } from '../../shared/trainerProtocol';
import { TrainerProcess, type TrainerExit } from './trainerProcess';
import { diagnosisContext, hasResumableCheckpoint } from '../../shared/runFolder';
import { describeMetrics, formatMetric, headlineMetric, METRICS, metricValue } from '../../shared/metrics';
import { isModelUnavailable } from './hubCheck';
import { DataDiagnostics } from './dataDiagnostics';
import { estimateDetail, hasLines } from './estimateText';
import { formatEstimate } from '../../shared/duration';
import { defaultRunLabel, describeBest, runTitle, summarizeRun } from '../runs/runStore';

export interface ActiveRun {
  runDir: string;
  config: TrainConfig;
  /** Set when the user chose, at the estimate, to start again with these settings changed. */
  restart?: Partial<TrainConfig>;
  process: TrainerProcess;
  progress?: Extract<FromTrainer, { type: 'progress' }>;
  /** Its metrics panel was opened at its first step (bertTune.metrics.openOnStart). */
  metricsOpened?: boolean;
  lastEvaluation?: Extract<FromTrainer, { type: 'evaluation' }>;
  /** Before training: loading and measuring, then waiting for the user's Start at the estimate. */
  phase: 'preparing' | 'confirming' | 'training';
  /** Closes the progress notification (the run goes on, in the status bar and its panel). */
  closeProgress?: () => void;
}

export interface RunOutcome {
  runDir: string;
  /** From the trainer's "done", or "crashed" when it exited without one. */
  status: 'completed' | 'stopped' | 'failed' | 'crashed';
  message?: string;
  exit: TrainerExit;
  /** The user asked at the estimate to start again with these settings changed (Merge Label Variants). */
  restart?: Partial<TrainConfig>;
}

/**
 * How long a trainer may go on after deactivation to finish its step and save before it is
 * killed (the trainer leaves by itself at its own deadline if the extension host is gone first).
 * Not the 4 s it once was: a bert-base step and save take ~25 s, and a kill loses them.
 */
const DEACTIVATE_GRACE_MS = SHUTDOWN_SAVE_MS;

export class TrainingManager implements vscode.Disposable {
  private active: ActiveRun | undefined;
  private readonly changed = new vscode.EventEmitter<ActiveRun | undefined>();
  private readonly finished = new vscode.EventEmitter<RunOutcome>();
  private readonly messages = new vscode.EventEmitter<{ runDir: string; message: FromTrainer }>();
  /** Every message of the active run, as it arrives (the metrics panel appends them). */
  readonly onDidReceiveMessage = this.messages.event;
  /** The run whose notification was closed for its panel: not shown again when it is resumed in this session. */
  private progressClosedFor: string | undefined;
  private readonly statusItem = vscode.window.createStatusBarItem('bertTune.training', vscode.StatusBarAlignment.Left, 10);
  private readonly stopItem = vscode.window.createStatusBarItem('bertTune.training.stop', vscode.StatusBarAlignment.Left, 9);
  private readonly dataDiagnostics = new DataDiagnostics();
  /** Fires when a run starts, reports progress, or ends. */
  readonly onDidChange = this.changed.event;
  readonly onDidFinish = this.finished.event;
  lastOutcome: RunOutcome | undefined;

  constructor(
    private readonly trainerJs: string,
    private readonly output: vscode.LogOutputChannel,
    private readonly trainerEnv: () => NodeJS.ProcessEnv,
  ) {
    this.statusItem.name = 'BERT Tune training';
    this.statusItem.command = 'bertTune.showMetrics';
    this.stopItem.name = 'BERT Tune: stop training';
    this.stopItem.text = '$(debug-stop)';
    this.stopItem.tooltip = 'Stop training (the current step finishes and the run is saved)';
    this.stopItem.command = 'bertTune.stopTraining';
  }

  get current(): ActiveRun | undefined {
    return this.active;
  }

  /**
   * Starts a run (or resumes one with `resume`) and resolves when it ends. With `confirm`, the
   * user sees the label balance and an estimated duration first and can cancel.
   */
  async start(config: TrainConfig, options: { resume?: boolean; confirm?: boolean } = {}): Promise<RunOutcome | undefined> {
    if (this.refuseIfBusy()) return undefined;
    const runDir = path.resolve(config.out);
    const proc = new TrainerProcess(this.trainerJs, { env: this.trainerEnv(), log: line => this.output.trace(`[trainer] ${line}`) });
    const confirming = Boolean(options.confirm && !options.resume);
    const run: ActiveRun = { runDir, config, process: proc, phase: confirming ? 'preparing' : 'training' };
    this.active = run;
    void vscode.commands.executeCommand('setContext', 'bertTune.training', true);
    this.output.info(`${options.resume ? 'Resuming' : 'Starting'} ${runDir} (trainer pid ${proc.pid})`);
    this.changed.fire(run);
    let done: Extract<FromTrainer, { type: 'done' }> | undefined;
    let lastError: string | undefined;
    const unsubscribe = proc.onMessage(m => {
      this.logMessage(m);
      this.messages.fire({ runDir, message: m });
      if (m.type === 'progress') run.progress = m;
      if (m.type === 'evaluation') run.lastEvaluation = m;
      if (m.type === 'error') lastError = m.message;
      if (m.type === 'done') done = m;
      if (m.type === 'estimate') {
        run.phase = 'confirming';
        this.updateStatusBar(run);
        void this.confirmEstimate(run, m);
      }
      if (m.type === 'progress' || m.type === 'evaluation') {
        this.updateStatusBar(run);
        this.changed.fire(run);
      }
      // Its metrics panel, once the run trains (its folder is there by then), unless the user turned that off.
      if (m.type === 'progress' && !run.metricsOpened) {
        run.metricsOpened = true;
        if (currentSettings().metrics.openOnStart) void vscode.commands.executeCommand('bertTune.showMetrics', vscode.Uri.file(run.runDir));
      }
    });
    this.updateStatusBar(run);
    proc.send({ type: 'train', config, resume: options.resume, confirm: confirming });
    // The notification follows training: not while the user still decides at the estimate.
    if (!confirming) this.showProgress(run);
    const exit = await proc.whenExited;
    unsubscribe();
    this.active = undefined;
    void vscode.commands.executeCommand('setContext', 'bertTune.training', false);
    this.statusItem.hide();
    this.stopItem.hide();
    const outcome: RunOutcome = done
      ? { runDir, status: done.status, message: done.reason ?? lastError, exit, restart: run.restart }
      : { runDir, status: 'crashed', message: (exit.stderr.trim().split('\n').at(-1) ?? '') || `exit code ${exit.code}, signal ${exit.signal}`, exit };
    this.lastOutcome = outcome;
    // A failure's message is in the log already, as the trainer's error; a crash's is not.
    const said = outcome.status === 'failed' && done?.status === 'failed';
    this.output.info(`Run ${runTitle(runDir)} (${path.basename(runDir)}) ended: ${outcome.status}${outcome.message && !said ? ` (${outcome.message})` : ''}`);
    this.changed.fire(undefined);
    this.finished.fire(outcome);
    void this.announce(outcome, run);
    return outcome;
  }

  /** One run at a time: says so, and returns true, while one trains. */
  refuseIfBusy(): boolean {
    if (!this.active) return false;
    const run = this.active;
    void vscode.window
      .showWarningMessage(`A model is already training (${runTitle(run.runDir)}). Stop it first, or wait for it to finish.`, 'Stop', 'Show Metrics')
      .then(a => {
        // The run may have ended while the message was showing: act on it only if it still trains.
        if (this.active !== run) return;
        if (a === 'Stop') void this.stop();
        if (a === 'Show Metrics') void vscode.commands.executeCommand('bertTune.showMetrics');
      });
    return true;
  }

  /** Asks the running trainer to finish its step, save and stop. */
  async stop(): Promise<void> {
    const run = this.active;
    if (!run) {
      void vscode.window.showInformationMessage('No model is training.');
      return;
    }
    this.output.info(`Stopping ${runTitle(run.runDir)}: the current step finishes, then the run is saved`);
    this.statusItem.text = '$(loading~spin) BERT Tune: stopping…';
    await run.process.stop();
  }

  /**
   * Deactivation: ask the trainer to finish its step and save. The timer does not keep the
   * extension host alive; when the host exits first, the trainer sees its channel close and
   * saves on its own (src/trainer/serve.ts), and the next start says how the run ended.
   */
  dispose(): void {
    const run = this.active;
    if (run) {
      run.process.send({ type: 'stop' });
      const timer = setTimeout(() => run.process.kill(), DEACTIVATE_GRACE_MS);
      timer.unref();
      void run.process.whenExited.then(() => clearTimeout(timer));
    }
    this.statusItem.dispose();
    this.stopItem.dispose();
    this.dataDiagnostics.dispose();
    this.changed.dispose();
    this.finished.dispose();
    this.messages.dispose();
  }

  private async confirmEstimate(run: ActiveRun, e: Extract<FromTrainer, { type: 'estimate' }>): Promise<void> {
    // Every run's findings replace the last one's: what this run would skip is what matters now.
    const firstLine = this.dataDiagnostics.show(e.findings ?? []);
    const variants = e.findings?.some(f => f.kind === 'labelVariants');
    const buttons = ['Start', ...(variants ? [MERGE_VARIANTS] : []), ...(hasLines(e) ? [SHOW_LINES] : [])];
    let answer = await vscode.window.showInformationMessage(
      `Fine-tune on ${path.basename(run.config.data)}?`,
      { modal: true, detail: estimateDetail(e, run.config, diagnosisContext(run.config, run.config.out).fromScratch) },
      ...buttons,
    );
    if (answer === SHOW_LINES) {
      // The lines in the Problems panel and the file at the first; the run waits for the answer here, where they can be read.
      if (firstLine) void showFirstLine(firstLine);
      answer = await vscode.window.showInformationMessage(
        `Fine-tune on ${path.basename(run.config.data)}: the lines are listed in the Problems panel. Start anyway?`,
        'Start',
        'Cancel',
      );
    }
    if (answer === MERGE_VARIANTS) run.restart = { mergeLabelVariants: true };
    run.process.send({ type: answer === 'Start' ? 'begin' : 'cancel' });
    if (answer !== 'Start') return;
    run.phase = 'training';
    this.updateStatusBar(run);
    this.showProgress(run);
  }

  /**
   * A cancellable notification (cancel = stop) that follows the run until its trainer exits, or
   * until the run's metrics panel opens: the panel shows the same progress, its ETA and a Stop
   * button, and a notification over it for the whole run would only hide the curves.
   */
  private showProgress(run: ActiveRun): void {
    if (this.progressClosedFor === run.runDir) return;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${runTitle(run.runDir)}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void this.stop());
        let reported = 0;
        const sub = this.onDidChange(r => {
          if (r !== run || !run.progress) return;
          const pct = (100 * run.progress.step) / Math.max(1, run.progress.totalSteps);
          progress.report({ increment: pct - reported, message: statusText(run) });
          reported = pct;
        });
        await Promise.race([run.process.whenExited, new Promise<void>(resolve => (run.closeProgress = resolve))]);
        sub.dispose();
      },
    );
  }

  /** The run's metrics panel is showing: its progress notification goes (the status bar item stays). */
  panelShown(runDir: string): void {
    const run = this.active;
    if (run?.runDir !== runDir) return;
    this.progressClosedFor = runDir;
    run.closeProgress?.();
  }

  private updateStatusBar(run: ActiveRun): void {
    this.statusItem.text = `$(sync~spin) BERT Tune: ${run.progress ? statusText(run) : run.phase === 'confirming' ? 'waiting for Start…' : 'preparing…'}`;
    this.statusItem.tooltip = `Training ${defaultRunLabel(run.config, run.runDir)} (${run.runDir}). Click to show its metrics.`;
    this.statusItem.show();
    this.stopItem.show();
  }

  private logMessage(m: FromTrainer): void {
    switch (m.type) {
      case 'log':
        return this.output.info(m.message);
      case 'warning':
        return this.output.warn(m.message);
      case 'error':
        return this.output.error(m.message);
      case 'started':
        return this.output.info(
          `Backend ${m.backend}; ${m.trainRows} training and ${m.validationRows} validation rows; labels ${m.labels.join(', ')}; ${m.totalSteps} steps${m.backendNotes.length ? ` (${m.backendNotes.join('; ')})` : ''}`,
        );
      case 'progress':
        return this.output.info(
          `step ${m.step}/${m.totalSteps}  epoch ${m.epoch.toFixed(2)}  loss ${m.loss.toFixed(4)}  grad norm ${m.gradNorm.toFixed(3)}  lr ${m.learningRate.toExponential(2)}  ${m.samplesPerSecond.toFixed(1)} samples/s`,
        );
      case 'evaluation':
        return this.output.info(`evaluation at step ${m.step}: ${describeMetrics(m)}${m.isBest ? ' (best)' : ''}`);
      case 'checkpoint':
        return this.output.info(`saved the ${m.kind} checkpoint (step ${m.step}): ${m.path}`);
      case 'done':
        // A failure's reason was just logged as its error: once, at error level, is enough.
        return this.output.info(`done: ${m.status}${m.reason && m.status !== 'failed' ? ` (${m.reason})` : ''}`);
      case 'estimate':
        return this.output.info(`estimate: ${m.totalSteps} steps, about ${formatEstimate(m.estimatedSeconds)}`);
    }
  }

  private async announce(outcome: RunOutcome, run: ActiveRun): Promise<void> {
    const name = runTitle(outcome.runDir);
    if (outcome.status === 'completed') {
      const last = run.lastEvaluation;
      const headline = last && headlineMetric(last);
      const acc = last && headline ? `: ${METRICS[headline].label} ${formatMetric(headline, metricValue(last, headline))}` : '';
      const summary = summarizeRun(outcome.runDir, false);
      const best = summary.best ? `: ${describeBest(summary.best)} (step ${summary.best.step})` : acc;
      // A run that learned nothing says so where its success would be announced.
      const said = summary.diagnoses.length
        ? vscode.window.showWarningMessage(
            `Training ${name} finished${best}. ${summary.diagnoses.map(d => d.message).join(' ')}`,
            'Open Metrics',
            'Use for Predictions',
          )
        : vscode.window.showInformationMessage(`Training ${name} finished${best}.`, 'Use for Predictions', 'Open Metrics');
      const a = await said;
      if (a === 'Use for Predictions') void vscode.commands.executeCommand('bertTune.runs.useForPredictions', { run: summary });
      if (a === 'Open Metrics') void vscode.commands.executeCommand('bertTune.showMetrics', { run: summary });
    } else if (outcome.status === 'failed' || outcome.status === 'crashed') {
      const what = outcome.status === 'crashed' ? 'The trainer stopped unexpectedly' : 'Training failed';
      if (isModelUnavailable(outcome.message)) {
        // The base model could not be had (offline, not downloaded): nothing to resume; another model, or the network setting, helps.
        const a = await vscode.window.showErrorMessage(`${what}: ${outcome.message}`, 'Choose Another Model…', 'Open Settings', 'Show log');
        if (a === 'Choose Another Model…') void vscode.commands.executeCommand('bertTune.fineTune', vscode.Uri.file(run.config.data));
        if (a === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'bertTune.hub.endpoint');
        if (a === 'Show log') this.output.show();
        return;
      }
      // Resume only where there is a checkpoint to resume from (a run can fail before its first save).
      const actions = hasResumableCheckpoint(outcome.runDir) ? ['Show log', 'Resume'] : ['Show log'];
      const a = await vscode.window.showErrorMessage(`${what}: ${outcome.message ?? 'no reason given'}`, ...actions);
      if (a === 'Show log') this.output.show();
      if (a === 'Resume') void vscode.commands.executeCommand('bertTune.runs.resume', vscode.Uri.file(outcome.runDir));
    }
  }
}

function statusText(run: ActiveRun): string {
  const p = run.progress;
  if (!p) return 'preparing…';
  return `epoch ${p.epoch.toFixed(1)} · step ${p.step.toLocaleString('en-US')}/${p.totalSteps.toLocaleString('en-US')} · ETA ${formatEstimate(p.etaSeconds)}`;
}

const SHOW_LINES = 'Show Lines';
const MERGE_VARIANTS = 'Merge Label Variants';

/** The Problems panel, and the file at the first line it lists. */
async function showFirstLine(at: { uri: vscode.Uri; line: number }): Promise<void> {
  const position = new vscode.Position(at.line - 1, 0);
  await vscode.window.showTextDocument(at.uri, { selection: new vscode.Range(position, position), preview: false });
  await vscode.commands.executeCommand('workbench.actions.view.problems');
}
