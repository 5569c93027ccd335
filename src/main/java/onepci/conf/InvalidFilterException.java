package onepci.conf;

/** A filter that is not valid lspci {@code -d} syntax. */
public final class InvalidFilterException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidFilterException(String filter, String reason) {
    super("filter '" + filter + "': " + reason);
  }
}
