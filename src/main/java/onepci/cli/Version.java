package onepci.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code one-pci 0.1.0 (8891a74)}: the Maven version and the git commit the jar was built from. */
final class Version {

  static final String UNKNOWN = "unknown";

  private Version() {}

  /** The line {@code --version} prints. */
  static String line() {
    Properties p = new Properties();
    // written by the build (pom.xml: exec of git rev-parse, then a filtered resource)
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // the jar's own resource: without it the version is unknown, nothing more
    }
    return "one-pci " + known(p.getProperty("version")) + " (" + known(p.getProperty("commit")) + ")";
  }

  /** A value the build filled in; "unknown" when it was not (a build without resource filtering). */
  private static String known(String v) {
    return v == null || v.isBlank() || v.startsWith("${") ? UNKNOWN : v.strip();
  }
}
