package onepci.install;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Every path under a folder with its kind, permissions, owner and content digest (and, when
 * asked, modification time): two equal snapshots mean nothing under the folder changed.
 */
public final class TreeSnapshot {

  private TreeSnapshot() {}

  /** Paths, kinds, modes, owners and bytes. */
  public static Map<String, String> of(Path root) {
    return take(root, false);
  }

  /** The same, plus each file's modification time. */
  public static Map<String, String> withTimes(Path root) {
    return take(root, true);
  }

  private static Map<String, String> take(Path root, boolean times) {
    Map<String, String> tree = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        tree.put(root.relativize(p).toString(), describe(p, times));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tree;
  }

  private static String describe(Path p, boolean times) throws IOException {
    if (Files.isSymbolicLink(p)) {
      return "link -> " + Files.readSymbolicLink(p);
    }
    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    String owner = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":" + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return "dir " + mode + " " + owner;
    }
    String file = "file " + mode + " " + owner + " " + sha256(Files.readAllBytes(p));
    return times ? file + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() : file;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
