package onepci.template;

/** The template cannot be written; the message names the device or value and what to do. */
public final class TemplateException extends Exception {
  private static final long serialVersionUID = 1L;

  public TemplateException(String message) {
    super(message);
  }
}
