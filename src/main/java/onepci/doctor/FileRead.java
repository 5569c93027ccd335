package onepci.doctor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import onepci.io.IoFailure;

/** What reading a small host file gave: its text, nothing (no such file), or a reason it could not be read. */
sealed interface FileRead {

  record Text(String text) implements FileRead {}

  record Missing() implements FileRead {}

  record Unreadable(String reason) implements FileRead {}

  static FileRead of(Path file) {
    try {
      return new Text(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return new Missing();
    } catch (IOException e) {
      return new Unreadable(IoFailure.reason(e));
    }
  }
}
