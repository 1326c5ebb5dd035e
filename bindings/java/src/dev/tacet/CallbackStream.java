package dev.tacet;

import java.io.IOException;
import java.io.OutputStream;

/** The app's export stream, its writes marked as callbacks (see {@link Callbacks}). */
final class CallbackStream extends OutputStream {
  private final OutputStream out;

  CallbackStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void write(int b) throws IOException {
    Callbacks.runThrowing(() -> out.write(b));
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Callbacks.runThrowing(() -> out.write(b, off, len));
  }
}
