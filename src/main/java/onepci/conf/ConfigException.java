package onepci.conf;

import java.nio.file.Path;

/** pci.conf is missing, unreadable or invalid. The message names the file and what is wrong. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(Path file, String what) {
    super("Invalid configuration " + file + ": " + what);
  }

  public ConfigException(Path file, String what, Throwable cause) {
    super("Invalid configuration " + file + ": " + what, cause);
  }
}
