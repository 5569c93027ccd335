package onepci.vfio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bounds every write of another {@link KernelWrites} by a time limit. Each write runs on its own
 * daemon thread; when the limit passes the thread is interrupted and left to finish (a thread stuck
 * in the kernel cannot be stopped), and the caller gets a {@link HungWriteException}.
 */
public final class BoundedWrites implements KernelWrites {

  private final KernelWrites delegate;
  private final Duration limit;

  public BoundedWrites(KernelWrites delegate, Duration limit) {
    this.delegate = delegate;
    this.limit = limit;
  }

  @Override
  public void write(Path file, String content) throws IOException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                delegate.write(file, content);
                done.complete(null);
              } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
              }
            },
            "one-pci write " + file.getFileName());
    t.setDaemon(true);
    t.start();
    try {
      done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      t.interrupt();
      throw new HungWriteException(file, limit);
    } catch (InterruptedException e) {
      t.interrupt();
      Thread.currentThread().interrupt();
      throw new IOException(file + ": interrupted while writing", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      throw new IOException(file + ": " + c, c);
    }
  }
}
