package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real write path: a {@code dd} child, bounded in time. */
class KernelWritesTest {

  @TempDir Path tmp;

  @Test
  void aChildProcessWritesTheValueInOneGo() throws Exception {
    Path f = tmp.resolve("driver_override");
    Files.writeString(f, "(null)\n");

    new BoundedWrites(new ChildProcessWrites(), Duration.ofSeconds(30)).write(f, "vfio-pci\n");

    assertThat(Files.readString(f)).isEqualTo("vfio-pci\n");
  }

  @Test
  void aRefusedWriteSaysWhyInTheKernelsWords() {
    Path f = tmp.resolve("no/such/device/driver_override");

    assertThatThrownBy(() -> new ChildProcessWrites().write(f, "vfio-pci\n"))
        .hasMessage(f + ": write refused: No such file or directory");
  }

  @Test
  void ddsComplaintIsReducedToItsCause() {
    assertThat(ChildProcessWrites.reason("dd: error writing '/sys/bus/pci/drivers_probe': No such device\n0+1 records in\n"))
        .isEqualTo("No such device");
    assertThat(ChildProcessWrites.reason("")).isEqualTo("dd failed");
  }

  @Test
  void aWriteThatDoesNotReturnIsAbandonedAtTheLimit() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    KernelWrites hanging = (file, content) -> {
      try {
        never.await();
      } catch (InterruptedException e) {
        throw new java.io.IOException("interrupted", e);
      }
    };
    Path f = tmp.resolve("unbind");

    assertThatThrownBy(() -> new BoundedWrites(hanging, Duration.ofMillis(100)).write(f, "0000:01:00.0\n"))
        .isInstanceOf(HungWriteException.class)
        .hasMessage(f + ": write did not return within 100 ms");
    assertThatThrownBy(() -> new BoundedWrites(hanging, Duration.ofSeconds(1)).write(f, "0000:01:00.0\n"))
        .hasMessage(f + ": write did not return within 1 s");
  }
}
