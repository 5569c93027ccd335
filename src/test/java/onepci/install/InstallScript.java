package onepci.install;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs the checkout's {@code install.sh} (or another copy of it) with dash, as an administrator would. */
public final class InstallScript {

  public static final Path REPO_SCRIPT = Path.of("install.sh").toAbsolutePath();

  public record Run(int status, String out, String err) {}

  private final Path script;
  private final Map<String, String> env;
  private final List<String> prefix;
  private final List<String> first;

  private InstallScript(Path script, Map<String, String> env, List<String> prefix, List<String> first) {
    this.script = script;
    this.env = Map.copyOf(env);
    this.prefix = List.copyOf(prefix);
    this.first = List.copyOf(first);
  }

  /** The checkout's own install.sh. */
  public static InstallScript repo() {
    return at(REPO_SCRIPT);
  }

  /** A copy of install.sh elsewhere (a checkout missing some file). */
  public static InstallScript at(Path script) {
    return new InstallScript(script, Map.of(), List.of(), List.of());
  }

  /** The same script with one more environment variable set for its runs. */
  public InstallScript env(String name, String value) {
    Map<String, String> more = new HashMap<>(env);
    more.put(name, value);
    return new InstallScript(script, more, prefix, first);
  }

  /** The same script run through a wrapper command (setpriv to drop root, say). */
  public InstallScript via(String... command) {
    List<String> more = new ArrayList<>(List.of(command));
    more.addAll(prefix);
    return new InstallScript(script, env, more, first);
  }

  /** The same script given these arguments before the ones of each run (a scratch --bin, say). */
  public InstallScript withArgs(String... args) {
    List<String> more = new ArrayList<>(first);
    more.addAll(List.of(args));
    return new InstallScript(script, env, prefix, more);
  }

  public Run run(String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add("dash");
    cmd.add(script.toString());
    cmd.addAll(first);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(name -> name.startsWith("ONE_PCI_"));
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      Process p = pb.start();
      byte[] err = p.getErrorStream().readAllBytes();
      byte[] out = p.getInputStream().readAllBytes();
      return new Run(p.waitFor(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
