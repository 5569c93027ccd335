package onepci.vfio;

import java.io.IOException;
import java.time.Duration;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteWatchdog;

/** {@code kill -USR1 PID}: the JDK cannot send signals other than TERM and KILL. */
public final class KillCommand implements Signaller {

  @Override
  public void usr1(long pid) throws IOException {
    DefaultExecutor ex = DefaultExecutor.builder().get();
    ex.setWatchdog(ExecuteWatchdog.builder().setTimeout(Duration.ofSeconds(5)).get());
    ex.execute(new CommandLine("kill").addArgument("-USR1").addArgument(Long.toString(pid)));
  }
}
