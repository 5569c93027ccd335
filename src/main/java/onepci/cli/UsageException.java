package onepci.cli;

/** The command line is wrong: exit {@link Main#EXIT_USAGE} with the message and the usage. */
public final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
