package onepci.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.ZipException;

/**
 * An I/O failure in words, for messages a person reads: {@code /etc/pci.conf: not UTF-8 text},
 * never {@code java.nio.charset.MalformedInputException: Input length = 1}. Every message that
 * reports a file that could not be read or written takes its words from here.
 */
public final class IoFailure {

  public static final String NO_SUCH_FILE = "no such file or directory";
  public static final String PERMISSION_DENIED = "permission denied";
  public static final String IS_A_DIRECTORY = "is a directory, not a file";
  public static final String NOT_A_DIRECTORY = "not a directory";
  public static final String NOT_UTF8 = "not UTF-8 text";

  /** A Java class name at the start of a message: {@code java.io.IOException: }. */
  private static final Pattern CLASS_PREFIX = Pattern.compile("^(?:[a-z_][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)(?::\\s*)?");

  private IoFailure() {}

  /** What went wrong, without the file: {@code permission denied}, {@code not UTF-8 text}. */
  public static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return NO_SUCH_FILE;
    }
    if (e instanceof AccessDeniedException) {
      return PERMISSION_DENIED;
    }
    if (e instanceof NotDirectoryException) {
      return NOT_A_DIRECTORY;
    }
    if (e instanceof CharacterCodingException) {
      return NOT_UTF8;
    }
    if (e instanceof EOFException) {
      return "ends too early (cut short)";
    }
    if (e instanceof ZipException) {
      return "not valid gzip data";
    }
    if (e instanceof FileSystemException f) {
      return f.getReason() == null ? "cannot be read or written" : words(f.getReason());
    }
    if (e.getCause() instanceof IOException cause && e.getMessage() != null && e.getMessage().equals(cause.toString())) {
      return reason(cause);
    }
    return e.getMessage() == null || e.getMessage().isBlank() ? "input/output error" : words(e.getMessage());
  }

  /** {@code FILE: reason}. */
  public static String describe(Path file, IOException e) {
    return file + ": " + reason(e);
  }

  /** {@code FILE: reason} with the file the exception names; the reason alone when it names none. */
  public static String describe(IOException e) {
    if (e instanceof FileSystemException f && f.getFile() != null) {
      return f.getFile() + ": " + reason(e);
    }
    return reason(e);
  }

  /** {@code FILE: reason; fix}, for a file a person named or must edit. */
  public static String describeWithFix(Path file, IOException e) {
    String fix = fix(e);
    return describe(file, e) + (fix.isEmpty() ? "" : "; " + fix);
  }

  /**
   * Why a file a person named cannot be read, as {@link #describeWithFix}; empty when it is a
   * file this user may open. A folder is refused here: opening one succeeds on Linux, and only the
   * first read fails.
   */
  public static Optional<String> unreadableFile(Path file) {
    if (Files.isDirectory(file)) {
      return Optional.of(file + ": " + IS_A_DIRECTORY + "; name the file itself, not its folder");
    }
    try (SeekableByteChannel c = Files.newByteChannel(file)) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(describeWithFix(file, e));
    }
  }

  /** The usual fix for a file a person named, or "" when there is none to give. */
  public static String fix(IOException e) {
    return switch (reason(e)) {
      case NO_SUCH_FILE -> "check the path";
      case PERMISSION_DENIED -> "run as root, or let this user read it";
      case IS_A_DIRECTORY -> "name the file itself, not its folder";
      case NOT_A_DIRECTORY -> "a folder on the path is a file; check the path";
      case NOT_UTF8 -> "save it as UTF-8 text";
      default -> "";
    };
  }

  /** An operating system's or a library's message, without class names; the usual ones in our words. */
  private static String words(String message) {
    String m = CLASS_PREFIX.matcher(message.strip()).replaceFirst("");
    if (m.isEmpty()) {
      return "input/output error";
    }
    if (m.equalsIgnoreCase("is a directory")) {
      return IS_A_DIRECTORY;
    }
    if (m.equalsIgnoreCase("not a directory")) {
      return NOT_A_DIRECTORY;
    }
    if (m.equalsIgnoreCase("permission denied")) {
      return PERMISSION_DENIED;
    }
    if (m.equalsIgnoreCase("no such file or directory")) {
      return NO_SUCH_FILE;
    }
    return m; // the system's own words ("Device or resource busy"), as a shell would print them
  }
}
