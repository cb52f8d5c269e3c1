// Frame-spread scheduling: the main thread must never hang. GPU work is recorded and submitted
// in small pieces (a few optimizer steps, one ensemble member, one width), and the page awaits
// an animation frame between pieces, so input, painting and the controls stay live whatever
// the size of the run.

/** Resolves at the next animation frame (or after 50 ms where frames do not fire, e.g. a hidden tab). */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    requestAnimationFrame(finish);
    setTimeout(finish, 50);
  });
}

/**
 * Play / pause / step for a page's work. `tick()` does one piece of work and resolves with the
 * number of steps it did (0 when there is nothing left to do: the loop then pauses itself).
 * Only one tick runs at a time; between ticks the loop waits for a frame.
 */
export class FrameLoop {
  running = false;
  busy = false;
  /** steps per second over the last few seconds of running */
  stepsPerSecond = 0;
  private samples: { t: number; steps: number }[] = [];
  private generation = 0;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly tick: () => Promise<number>,
    private readonly onChange: () => void = () => {},
    private readonly onError: (e: unknown) => void = (e) => console.error(e),
  ) {}

  play(): void {
    if (this.running) return;
    this.running = true;
    this.onChange();
    const generation = ++this.generation;
    void this.run(generation);
  }

  pause(): void {
    this.running = false;
    this.onChange();
  }

  /** One tick while paused; resolves when it is done. */
  async step(): Promise<void> {
    if (this.running) this.pause();
    await this.idle;
    await this.once();
  }

  /** Pauses and waits for the tick in flight (before a reset disposes what it uses). */
  async stop(): Promise<void> {
    this.pause();
    this.generation++;
    await this.idle;
    this.samples = [];
    this.stepsPerSecond = 0;
  }

  private async once(): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    let release!: () => void;
    this.idle = new Promise((r) => (release = r));
    try {
      const steps = await this.tick();
      this.sample(steps);
      return steps;
    } catch (e) {
      this.running = false;
      this.onError(e);
      return 0;
    } finally {
      this.busy = false;
      release();
      this.onChange();
    }
  }

  private async run(generation: number): Promise<void> {
    while (this.running && generation === this.generation) {
      await nextFrame();
      if (!this.running || generation !== this.generation) break;
      const steps = await this.once();
      if (steps === 0 && this.running) this.pause();
    }
  }

  private sample(steps: number): void {
    const t = performance.now();
    this.samples.push({ t, steps });
    while (this.samples.length > 2 && t - this.samples[0].t > 3000) this.samples.shift();
    if (this.samples.length >= 2) {
      const span = (t - this.samples[0].t) / 1000;
      const total = this.samples.slice(1).reduce((s, x) => s + x.steps, 0);
      this.stepsPerSecond = span > 0 ? total / span : 0;
    }
  }
}
