// Progress of a long run or sweep on a terminal (stderr, only when it is a TTY), with cli-progress
// (a maintained progress-bar library, instead of a hand-written bar): the points done out of the
// total, the current point, its step, the elapsed time and an estimate of what is left.
//
// The bar's value is the points done plus the current point's fraction of its steps, so the
// estimate (cli-progress: the rate over the last updates, extrapolated) moves within a point too.
import { SingleBar } from 'cli-progress';

export interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
}

const describePoint = (point: Record<string, unknown>, width: number[]): string => {
  const swept = Object.entries(point).filter(([k]) => k !== 'model.hidden');
  return [`width [${width.join(', ')}]`, ...swept.map(([k, v]) => `${k}=${JSON.stringify(v)}`)].join(' ');
};

export class SweepProgress {
  private readonly bar: SingleBar;
  private done = 0;
  private current = '';
  private started = false;

  constructor(private readonly stream: ProgressStream, private readonly total: number) {
    this.bar = new SingleBar({
      stream: stream as NodeJS.WritableStream,
      format: '{bar} point {done}/{points} ({current}) step {step}/{steps} | elapsed {duration_formatted} | left {eta_formatted}',
      barsize: 20,
      fps: 5,
      etaBuffer: 50,
      hideCursor: false,
      clearOnComplete: true,
      // cli-progress draws nothing on a stream that is not a terminal (noTTYOutput false)
      noTTYOutput: false,
    });
  }

  /** A point starts: `ordinal` points are done. */
  pointStart(ordinal: number, point: Record<string, unknown>, width: number[], steps: number): void {
    this.done = ordinal;
    this.current = describePoint(point, width);
    const payload = { done: ordinal, points: this.total, current: this.current, step: 0, steps };
    if (!this.started) {
      this.bar.start(this.total, ordinal, payload);
      this.started = true;
    } else this.bar.update(ordinal, payload);
  }

  step(step: number, steps: number): void {
    if (!this.started) return;
    this.bar.update(this.done + (steps > 0 ? step / steps : 1), { done: this.done, points: this.total, current: this.current, step, steps });
  }

  /** Clears the bar's line before a line is written to stdout (the bar is drawn again at its next update). */
  clearLine(): void {
    if (this.started && this.stream.isTTY) this.stream.write('\r\x1b[2K');
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
