package onepci.doctor;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The jar the libvirt hook runs (a root-owned copy on the host) and the jar the probe runs (synced
 * from the front-end) are the same build: otherwise the hook binds devices by other rules than
 * the probe that reports them.
 */
final class HookJarCheck implements CheckGroup {

  static final String NAME = "hook-jar";

  /** None: it only ever warns, and it reads two jars. */
  @Override
  public List<Check> forReadiness(HostState host) {
    return List.of();
  }

  @Override
  public List<Check> run(HostState host) {
    Path hook = host.paths().hookJar();
    Path synced = host.paths().syncedProbeJar();
    boolean hookThere = Files.exists(hook);
    boolean syncedThere = Files.exists(synced);
    if (!hookThere && !syncedThere) {
      return List.of(Check.warn(
          NAME, Check.HOST,
          "no " + hook + " (the libvirt hook's jar) and no " + synced + " (the probe's jar): one-pci is not installed on this host",
          Fixes.hostSync() + "; then " + Fixes.hostJar()));
    }
    if (!hookThere) {
      return List.of(Check.warn(
          NAME, Check.HOST, "no " + hook + ": the libvirt hook has no root-owned jar to run (the probe's is " + synced + ")",
          Fixes.hostJar()));
    }
    if (!syncedThere) {
      return List.of(Check.warn(
          NAME, Check.HOST, "no " + synced + ": the probe has no jar (the libvirt hook's is " + hook + ")", Fixes.hostSync()));
    }
    try {
      if (sameBuild(hook, synced)) {
        return List.of(Check.pass(NAME, Check.HOST, hook + " (the libvirt hook's) and " + synced + " (the probe's) are the same build"));
      }
    } catch (AccessDeniedException e) {
      return List.of(Check.warn(NAME, Check.HOST, "cannot read " + e.getFile() + " (permission denied)", Fixes.asRoot()));
    } catch (IOException e) {
      return List.of(Check.warn(NAME, Check.HOST, "cannot compare " + hook + " with " + synced + " (" + e.getMessage() + ")", Fixes.asRoot()));
    }
    return List.of(Check.warn(
        NAME, Check.HOST,
        hook + " (the libvirt hook's) and " + synced + " (the probe's) are different builds: "
            + "the hook binds devices by other rules than the probe that reports them",
        Fixes.sameJar()));
  }

  /**
   * The same bytes, or two jars with the same entries (name, size and CRC-32 each): two builds of
   * the same sources differ only in the times stamped on their entries.
   */
  static boolean sameBuild(Path a, Path b) throws IOException {
    if (Files.mismatch(a, b) == -1L) {
      return true;
    }
    Optional<List<String>> ea = entries(a);
    Optional<List<String>> eb = entries(b);
    return ea.isPresent() && ea.equals(eb);
  }

  /** {@code name size crc} of every entry, sorted; empty when the file is not a jar. */
  private static Optional<List<String>> entries(Path jar) throws IOException {
    if (!Files.isReadable(jar)) {
      throw new AccessDeniedException(jar.toString());
    }
    try (ZipFile z = new ZipFile(jar.toFile())) {
      List<String> out = new ArrayList<>();
      for (ZipEntry e : Collections.list(z.entries())) {
        out.add(e.getName() + " " + e.getSize() + " " + Long.toHexString(e.getCrc()));
      }
      Collections.sort(out);
      return Optional.of(out);
    } catch (ZipException e) {
      return Optional.empty();
    }
  }
}
