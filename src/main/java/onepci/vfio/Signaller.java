package onepci.vfio;

import java.io.IOException;

/** Sends SIGUSR1 to a process. */
@FunctionalInterface
public interface Signaller {
  void usr1(long pid) throws IOException;
}
