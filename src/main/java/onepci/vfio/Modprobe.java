package onepci.vfio;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/** Runs {@code modprobe}, bounded by a watchdog. */
public final class Modprobe implements ModuleLoader {

  private final Duration limit;

  public Modprobe(Duration limit) {
    this.limit = limit;
  }

  @Override
  public void load(String module) throws IOException {
    CommandLine cmd = new CommandLine("modprobe").addArgument(module, false);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExecuteWatchdog dog = ExecuteWatchdog.builder().setTimeout(limit).get();
    DefaultExecutor ex = DefaultExecutor.builder().get();
    ex.setStreamHandler(new PumpStreamHandler(out));
    ex.setWatchdog(dog);
    try {
      ex.execute(cmd);
    } catch (ExecuteException e) {
      String said = out.toString(StandardCharsets.UTF_8).strip();
      throw new IOException(
          "modprobe " + module + " failed"
              + (dog.killedProcess() ? " (killed after " + limit.toSeconds() + " s)" : " (exit " + e.getExitValue() + ")")
              + (said.isEmpty() ? "" : ": " + said)
              + "; fix: install the kernel's modules package and check 'modprobe " + module + "' by hand");
    }
  }
}
