/**
 * The progress tree's spinner, still while a question waits: listr2's default renderer redraws the
 * whole tree every 100 ms to turn its spinners, which animates the other tasks under a question the
 * operator is reading (and redraws the question with it). A keystroke still redraws the screen.
 */
import { Spinner } from 'listr2';
import { questionWaiting } from './prompts.js';

/** A listr2 spinner that neither turns nor asks for a redraw while {@link questionWaiting}. */
export class QuietSpinner extends Spinner {
  constructor(private readonly waiting: () => boolean = questionWaiting) {
    super();
  }

  override spin(): void {
    if (!this.waiting()) super.spin();
  }

  override start(cb?: () => void, interval = 100): void {
    super.start(() => {
      if (!this.waiting()) cb?.();
    }, interval);
  }
}
